#!/bin/bash
# demo.sh - soswap's live-upgrade demo.
#
# Sets up (Debian packages), builds soswap and the example programs, starts
# the example server greetd (several worker threads) linked against
# libgreet.so.1 version 1, puts it under continuous load with loadgen, and
# while the load runs upgrades libgreet to v2 with
#   soswap upgrade --live --dir LIBDIR NEW
# which installs v2 next to v1, flips the soname link and swaps v2 into the
# running server (`soswap live` does the swap alone; the demo uses it where
# upgrade is not available).  Then it prints which version answered before
# and after the upgrade and how many requests failed (zero is the point).
# Exit status 0 when the upgrade happened with no failed request, 1
# otherwise.
#
# Environment: SOSWAP=path  use this soswap binary (skips set-up and build)
#              CC=compiler  for the example programs (default cc)
#              DEMO_SECONDS=N  load before and after the swap (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CC=${CC:-cc}
SECS=${DEMO_SECONDS:-1}

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' Y=$'\033[33m' N=$'\033[0m'
else
	B='' G='' R='' Y='' N=''
fi
step() { printf '%s==> %s%s\n' "$B" "$*" "$N"; }
die() { printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }

if [ -z "${SOSWAP:-}" ]; then
	step "Setting up and building soswap"
	scripts/install-deps.sh
	[ -f build/build.ninja ] || meson setup build >/dev/null
	ninja -C build >/dev/null
	SOSWAP=$ROOT/build/src/cli/soswap
fi
[ -x "$SOSWAP" ] || die "$SOSWAP: no soswap binary"

# soswap refuses to load a library that others could have written, so the
# demo's files live in a directory only we can write: under /run as root,
# else under $TMPDIR (fine for a same-user swap).
if [ "$(id -u)" -eq 0 ] && [ -w /run ]; then base=/run; else base=${TMPDIR:-/tmp}; fi
W=$(mktemp -d "$base/soswap-demo.XXXXXX")
chmod 755 "$W"
SERVER= LOAD=
cleanup() {
	for p in $LOAD $SERVER; do kill "$p" 2>/dev/null || true; done
	for p in $LOAD $SERVER; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_file FILE SECONDS: a program writes FILE once it is ready.
wait_file() {
	local i=0
	while [ ! -s "$1" ] && [ $i -lt $(($2 * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$1" ]
}

step "Building the example: libgreet.so.1 v1 and v2, greetd, loadgen"
CFLAGS="-O2 -Wall -Wextra -g"
mkdir -p "$W/lib" "$W/new"
"$CC" $CFLAGS -shared -fPIC -Wl,-soname,libgreet.so.1 \
	-o "$W/lib/libgreet.so.1.0.0" examples/libgreet/greet-v1.c
"$CC" $CFLAGS -shared -fPIC -Wl,-soname,libgreet.so.1 \
	-o "$W/new/libgreet.so.1.1.0" examples/libgreet/greet-v2.c
ln -s libgreet.so.1.0.0 "$W/lib/libgreet.so.1"
ln -s libgreet.so.1 "$W/lib/libgreet.so"
"$CC" $CFLAGS -pthread -Iexamples/libgreet -o "$W/greetd" examples/server/greetd.c \
	-L"$W/lib" -lgreet -Wl,-rpath,"$W/lib"
"$CC" $CFLAGS -pthread -o "$W/loadgen" examples/server/loadgen.c
NEW=$W/new/libgreet.so.1.1.0

step "Starting greetd (8 worker threads) with libgreet v1"
"$W/greetd" --threads 8 --ready-file "$W/port" &
SERVER=$!
wait_file "$W/port" 10 || die "greetd did not start"
PORT=$(cat "$W/port")

# The live swap is the step this demo is about; a build whose live command
# is still a placeholder runs the rest and says so.
implemented() { ! "$SOSWAP" "$1" --help 2>&1 | grep -q "not implemented"; }
live_ok=0 upgrade_ok=0
implemented live && live_ok=1
implemented upgrade && [ $live_ok = 1 ] && upgrade_ok=1

step "Starting loadgen: 4 connections sending requests back to back"
"$W/loadgen" --port "$PORT" --connections 4 --duration 120 --json \
	--ready-file "$W/load-ready" >"$W/load.json" 2>"$W/load.err" &
LOAD=$!
wait_file "$W/load-ready" 10 || die "loadgen got no answer: $(cat "$W/load.err")"
sleep "$SECS"

if [ $upgrade_ok = 1 ]; then
	step "soswap upgrade --live --dir $W/lib $NEW"
	"$SOSWAP" upgrade --live --dir "$W/lib" "$NEW" || live_rc=$?
	[ "${live_rc:-0}" -eq 0 ] || echo "${R}soswap upgrade failed (exit $live_rc)${N}"
elif [ $live_ok = 1 ]; then
	step "soswap live --pid $SERVER libgreet.so.1 $NEW"
	"$SOSWAP" live --pid "$SERVER" libgreet.so.1 "$NEW" || live_rc=$?
	[ "${live_rc:-0}" -eq 0 ] || echo "${R}soswap live failed (exit $live_rc)${N}"
else
	step "soswap info $NEW"
	"$SOSWAP" info "$NEW"
	if ! "$SOSWAP" who --help 2>&1 | grep -q "not implemented"; then
		step "soswap who $W/lib/libgreet.so.1"
		"$SOSWAP" who "$W/lib/libgreet.so.1" || true
	fi
	echo "${Y}The live step is unavailable: 'soswap live' is not implemented in this build.${N}"
	echo "${Y}The server keeps running libgreet v1.${N}"
fi
sleep "$SECS"
if [ $upgrade_ok = 1 ]; then
	step "soswap who $W/lib/libgreet.so.1.0.0 (v1: still mapped, no longer used)"
	"$SOSWAP" -q who "$W/lib/libgreet.so.1.0.0" || true
fi

# loadgen may have ended by itself (it stops on its own after --duration);
# its summary, not this kill, tells how the load went.
kill -INT "$LOAD" 2>/dev/null || true
load_rc=0
wait "$LOAD" || load_rc=$?
LOAD=
[ -s "$W/load.json" ] ||
	die "loadgen printed no summary (exit $load_rc): $(cat "$W/load.err")"
# A new connection after the swap must be served by the new version too.
after_new=$("$W/loadgen" --port "$PORT" --count 1 --json | jq -r .last_answer) ||
	die "greetd does not answer after the swap"

ok=$(jq -r .ok "$W/load.json")
failed=$(jq -r .failed "$W/load.json")
first=$(jq -r .first "$W/load.json")
last=$(jq -r .last "$W/load.json")
step "Result"
echo "  first answer:  $(jq -r .first_answer "$W/load.json")"
echo "  last answer:   $(jq -r .last_answer "$W/load.json")"
echo "  a new connection at the end: $after_new"
echo "  answers by version: $(jq -r '.versions | to_entries | map("\(.key) \(.value)") | join(", ")' "$W/load.json")"
echo "  request latency: $(jq -r '.latency_us | "p50 \(.p50) us, p99 \(.p99) us, max \(.max) us"' "$W/load.json")"
echo "${B}before: $first, after: $last${N}"
if [ "$failed" -eq 0 ] && [ "$load_rc" -eq 0 ]; then
	echo "${G}$ok requests, 0 failed${N}"
else
	echo "${R}$ok requests ok, $failed failed${N}"
	sed 's/^/  /' "$W/load.err"
	exit 1
fi
kill -0 "$SERVER" 2>/dev/null || die "greetd died"

if [ $live_ok = 1 ]; then
	[ "${live_rc:-0}" -eq 0 ] || exit 1
	[ "$first" = v1 ] && [ "$last" = v2 ] && [[ "$after_new" == "greet v2:"* ]] ||
		die "expected the answers to go from v1 to v2"
	echo "${G}greetd was upgraded from libgreet v1 to v2 under load, without a restart.${N}"
else
	echo "${Y}Live step unavailable: no upgrade was attempted.${N}"
fi
