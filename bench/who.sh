#!/bin/bash
# who.sh - soswap who vs lsof and soswap stale vs needrestart, side by side
# on the same machine state.
#
# Starts holder processes that map a fixture library (tests/fixtures/
# procscan), then:
#   1. who:   `soswap who LIB` and lsof (its "mem" entries for LIB) must
#             name exactly the same pids (compared over processes alive
#             through both runs); prints the median wall time of `soswap who
#             LIB` and `lsof -t LIB` and the speed ratio (target >= 10x).
#   2. stale: deletes, renames over and rewrites some of the libraries, runs
#             `soswap stale` and `needrestart -v -r l` (pids parsed from its
#             "#PID uses ..." lines) and lists every pid only one of them
#             names, with the reason.
# Run as root for the full picture (needrestart and lsof see everything).
# Environment: SOSWAP (binary), RUNS (timed runs, default 30), HOLDERS (8).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
SOSWAP=${SOSWAP:-$SRC/build/src/cli/soswap}
RUNS=${RUNS:-30}
HOLDERS=${HOLDERS:-8}
CC=${CC:-cc}
FIX=$SRC/tests/fixtures/procscan
export LC_ALL=C NO_COLOR=1

for t in lsof jq "$CC"; do
	command -v "$t" >/dev/null || { echo "who.sh: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$SOSWAP" ] || { echo "who.sh: build soswap first ($SOSWAP)" >&2; exit 1; }

W=$(mktemp -d /tmp/soswap-bench.XXXXXX)		# under /tmp: needrestart skips it
O=$(mktemp -d /var/lib/soswap-bench.XXXXXX)	# elsewhere: needrestart looks
PIDS=()
cleanup() {
	[ ${#PIDS[@]} -gt 0 ] && kill "${PIDS[@]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W" "$O"
}
trap cleanup EXIT

mklib() { # mklib DIR [version]
	mkdir -p "$1"
	"$CC" -shared -fPIC -O1 -o "$1/libfix.so.1" "$FIX/libfix.c" -DFIX_VERSION="${2:-1}" -Wl,-soname,libfix.so.1 || exit 1
}
start() { # start ARGS... : a holder, waited for
	local ready="$W/ready.${#PIDS[@]}"
	"$W/holder" "$ready" "$@" </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 400); do [ -e "$ready" ] && return; sleep 0.05; done
	echo "who.sh: holder $* did not start" >&2; exit 1
}
# wall clock in ns without forking (bash 5's EPOCHREALTIME)
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "${t}000"; }
# timed CMD... [::: CMD...] : WALL (median wall ms) and CPU (mean user+sys
# ms per run) of each command, in arrays, over $RUNS runs taken in turns
# (A B A B ...: both tools see the same moments of a noisy machine), output
# dropped.  bench/timeit.py starts each run with posix_spawn: a fork of
# this shell would add about a millisecond to every run of either tool and
# hide most of the difference between them.
timed() {
	WALL=() CPU=()
	local w c
	while read -r w c; do WALL+=("$w"); CPU+=("$c"); done < <(python3 "$SRC/bench/timeit.py" "$RUNS" "$@")
	[ ${#WALL[@]} -gt 0 ] || { echo "who.sh: timing $1 failed" >&2; exit 1; }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'; }
live_pids() { ls /proc | grep -E '^[0-9]+$' | sort; }
# pids for which lsof lists LIB as mapped (FD mem, DEL, txt), not merely open
lsof_maps() { lsof -F pf "$1" 2>/dev/null | awk '/^p/ {p = substr($0, 2)} /^f(mem|DEL|txt)$/ {print p}' | sort -u; }

"$CC" -O1 -o "$W/holder" "$FIX/holder.c" -ldl || exit 1
mklib "$W/a"; mklib "$O/del"; mklib "$O/ren"; mklib "$O/cp"; mklib "$W/tmpdel"
for ((i = 0; i < HOLDERS; i++)); do start "$W/a/libfix.so.1"; done
start "$O/del/libfix.so.1"; start "$O/del/libfix.so.1"
start "$O/ren/libfix.so.1"
start "$O/cp/libfix.so.1"
start "$W/tmpdel/libfix.so.1"
mkdir -p "$O/ffi"; start memfd "tmpexec:$O/ffi"

echo "== who: soswap who vs lsof (pids mapping the library; wall: median ms, cpu: user+sys ms per run; RUNS runs each)"
printf '%-14s %6s %6s %9s %9s %7s %9s %9s %7s  %s\n' LIBRARY soswap lsof "wall sw" "wall lsof" ratio \
	"cpu sw" "cpu lsof" ratio agree
status=0
for lib in "$W/a/libfix.so.1" /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libz.so.1; do
	[ -e "$lib" ] || continue
	before=$(live_pids)
	"$SOSWAP" who --json "$lib" 2>/dev/null | jq -r '.files[0].processes[].pid' | sort > "$W/who"
	lsof_maps "$lib" > "$W/lsof"
	comm -12 <(echo "$before") <(live_pids) > "$W/stable"
	grep -Fxf "$W/stable" "$W/who" > "$W/who.s"
	grep -Fxf "$W/stable" "$W/lsof" > "$W/lsof.s"
	if cmp -s "$W/who.s" "$W/lsof.s"; then agree=yes; else agree=NO; status=1; fi
	timed "$SOSWAP" who "$lib" ::: lsof -t "$lib"
	ws=${WALL[0]} cs=${CPU[0]} wl=${WALL[1]} cl=${CPU[1]}
	rw=$(ratio "$wl" "$ws"); rc=$(ratio "$cl" "$cs")
	printf '%-14s %6s %6s %9s %9s %7s %9s %9s %7s  %s\n' "$(basename "$lib")" "$(wc -l < "$W/who.s")" \
		"$(wc -l < "$W/lsof.s")" "$ws" "$wl" "$rw" "$cs" "$cl" "$rc" "$agree"
	[ "$agree" = yes ] || diff "$W/who.s" "$W/lsof.s" | sed 's/^/    /'
	awk -v r="${rw%x}" 'BEGIN {exit !(r >= 10)}' || echo "    wall-time ratio below the 10x target"
done
timed /bin/true ::: "$SOSWAP" --version; wt=${WALL[0]} wv=${WALL[1]}
echo "(start-up floor: /bin/true $wt ms, soswap --version $wv ms; $(ls /proc | grep -cE '^[0-9]+$') processes;" \
	"load average: $(cut -d' ' -f1-3 /proc/loadavg))"

# Change the libraries under the holders: delete, rename over, cp over.
rm "$O/del/libfix.so.1" "$W/tmpdel/libfix.so.1"
mklib "$O/new" 2; mv "$O/new/libfix.so.1" "$O/ren/libfix.so.1"
sleep 0.05; cp "$O/ren/libfix.so.1" "$O/cp/libfix.so.1"

echo
echo "== stale: soswap stale vs needrestart -v -r l"
if ! command -v needrestart >/dev/null; then
	echo "needrestart is not installed: skipped"
	exit $status
fi
before=$(live_pids)
t0=$(now_ns); "$SOSWAP" stale --json > "$W/stale.json" 2>/dev/null; t1=$(now_ns)
ts=$(( (t1 - t0) / 1000000 ))
t0=$(now_ns); (cd / && needrestart -v -r l) > "$W/nr.out" 2>&1; t1=$(now_ns)
tn=$(( (t1 - t0) / 1000000 ))
comm -12 <(echo "$before") <(live_pids) > "$W/stable"
jq -r '.libraries[] | .path as $p | .kind as $k | .processes[] | "\(.pid)\t\($k)\t\($p)"' \
	"$W/stale.json" | sort -t$'\t' -k1,1 -u > "$W/s.tsv"
sed -nE 's/^\[main\] #([0-9]+) uses (obsolete binary|deleted|non-existing|obsolete) (.*)$/\1\t\2\t\3/p' \
	"$W/nr.out" | sort -t$'\t' -k1,1 -u > "$W/n.tsv"
cut -f1 "$W/s.tsv" | grep -Fxf "$W/stable" | sort > "$W/s.pids"
cut -f1 "$W/n.tsv" | grep -Fxf "$W/stable" | sort > "$W/n.pids"
printf '%-12s %6s %8s\n' TOOL pids "ms"
printf '%-12s %6s %8s\n' soswap "$(wc -l < "$W/s.pids")" "$ts" needrestart "$(wc -l < "$W/n.pids")" "$tn"
echo "both: $(comm -12 "$W/s.pids" "$W/n.pids" | wc -l) pids"

reason_soswap_only() { # kind path
	case $2 in
	/tmp/* | /var/tmp/* | /run/* | /var/run/*)
		echo "needrestart skips ${2%%/*}/$(echo "$2" | cut -d/ -f2)/ (its blacklist_mappings of temporary paths)"; return;;
	esac
	case $1 in
	rewritten) echo "same inode rewritten in place (cp): needrestart compares inode numbers only";;
	changed) echo "ctime changed on the same inode: needrestart compares inode numbers only";;
	replaced) echo "path names a new file but the mapping is not '(deleted)': needrestart stats map_files, the mapped file itself";;
	*) echo "not named by needrestart (it skips itself, its parent and blacklisted binaries, and stops at a process's first finding)";;
	esac
}
reason_nr_only() { # what path
	case $1 in
	"obsolete binary") echo "the main executable is deleted/replaced: soswap stale reports libraries only";;
	deleted | non-existing | obsolete)
		case $2 in
		*.so | *.so.*) echo "a library soswap did not flag (check: $2)";;
		*) echo "not a library: an executable mapping of a non-ELF or non-*.so file (JIT/libffi/temp), which soswap never reports";;
		esac;;
	esac
}
comm -23 "$W/s.pids" "$W/n.pids" | while read -r pid; do
	IFS=$'\t' read -r _ kind path < <(grep -m1 "^$pid"$'\t' "$W/s.tsv")
	printf '  soswap only      pid %-7s %-9s %s\n      reason: %s\n' "$pid" "$kind" "$path" "$(reason_soswap_only "$kind" "$path")"
done
comm -13 "$W/s.pids" "$W/n.pids" | while read -r pid; do
	IFS=$'\t' read -r _ what path < <(grep -m1 "^$pid"$'\t' "$W/n.tsv")
	printf '  needrestart only pid %-7s %-9s %s\n      reason: %s\n' "$pid" "${what%% *}" "$path" "$(reason_nr_only "$what" "$path")"
done
exit $status
