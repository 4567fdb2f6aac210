#!/bin/bash
# live.sh - benchmark of `soswap live`.
#
# For targets with 1, 8 and 64 threads of two kinds (server-like threads
# that sleep 1 ms between operations, and threads spinning on the CPU)
# and libraries of 10 and 1000 exported functions (every one imported by
# the program), SWAPS swaps (default 100, alternating v1/v2) each report,
# p50/p99 in microseconds:
#   stop   first interrupt -> last thread stopped
#   patch  last thread stopped -> first resumed (what soswap adds)
#   pause  first interrupt -> last thread resumed
#   total  the whole soswap live call
# beside the floor: bare stop + resume of the same target by the same
# ptrace calls, nothing written (build/bench/live-floor).  Also the cost of
# one call before and after a swap, and the target's own operation
# latency (p50/p99) during the swaps against the same time without.
# On a machine with fewer cores than spinning threads the stop latency is
# the scheduler's: compare with the floor.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
SOSWAP=$PWD/build/src/cli/soswap
FLOOR=$PWD/build/bench/live-floor
SWAPS=${SWAPS:-100}
THREADS=${THREADS:-"1 8 64"}
FUNCS=${FUNCS:-"10 1000"}
KINDS=${KINDS:-"sleep spin"}
CC=${CC:-cc}
W=$(mktemp -d /tmp/soswap-bench-live.XXXXXX)
export SOSWAP_RUN_DIR=$W/run
TPID=
cleanup() { [ -n "$TPID" ] && kill "$TPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

# gen_lib N VERSION: libbench.so.1 with f0..f(N-1)
gen_lib() {
	local n=$1 v=$2 d="$W/lib$1-v$2"
	mkdir -p "$d"
	for ((i = 0; i < n; i++)); do
		printf 'long f%d(long x) { return x * %d + %d; }\n' $i $((v + 1)) $i
	done > "$d/lib.c"
	$CC -shared -fPIC -O1 -Wl,-soname,libbench.so.1 -o "$d/libbench.so.1" "$d/lib.c"
}

gen_target() {
	local n=$1
	{
		for ((i = 0; i < n; i++)); do printf 'long f%d(long);\n' $i; done
		printf 'void call_all(long x) {\n'
		for ((i = 0; i < n; i++)); do printf '\tf%d(x);\n' $i; done
		printf '}\n'
	} > "$W/calls$n.c"
	$CC -O1 -pthread -o "$W/target$n" bench/live/target.c "$W/calls$n.c" \
		"$W/lib$n-v1/libbench.so.1" -Wl,-rpath,"$W/lib$n-v1"
}

# pct P < numbers: the P-th percentile (nearest rank)
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }
us() { awk '{printf "%.0f", $1/1000}'; }
p50p99() { local f=$1; echo "$(pct 50 < "$f" | us)/$(pct 99 < "$f" | us)"; }

wait_file() { local i; for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# latency OUT: p50/p99 of the target's operations since the last SIGUSR1
latency() {
	rm -f "$1"
	kill -USR2 "$TPID"
	wait_file "$1"
	awk '{printf "%d/%d", $1, $2}' "$1"
}

for n in $FUNCS; do gen_lib "$n" 1; gen_lib "$n" 2; gen_target "$n"; done

printf '%-5s %-5s %3s | %-11s %-11s %-11s %-13s | %-11s %-11s | %-11s %-11s | %s\n' \
	funcs kind thr "stop" "patch" "pause" "total" "floor stop" "floor pause" \
	"op none" "op swaps" "stepped/retries/failed"
printf '%s\n' "(p50/p99: swap and floor times in microseconds, op = one operation of the target (10 or 100 calls) in ns)"
for n in $FUNCS; do
for kind in $KINDS; do
for th in $THREADS; do
	out="$W/out"
	"$W/target$n" "$kind" "$th" "$out" & TPID=$!
	wait_file "$out.cost"
	# floor: the same stops and resumes, nothing written
	"$FLOOR" "$TPID" "$SWAPS" > "$W/floor"
	cut -d' ' -f1 "$W/floor" > "$W/fstop"; cut -d' ' -f2 "$W/floor" > "$W/fpause"
	# swaps, alternating v2/v1; the target's latency meanwhile
	: > "$W/stop"; : > "$W/patch"; : > "$W/pause"; : > "$W/total"; : > "$W/steps"
	failed=0
	kill -USR1 "$TPID"
	t0=$(date +%s%N)
	for ((i = 1; i <= SWAPS; i++)); do
		v=$(( i % 2 == 1 ? 2 : 1 ))
		if ! "$SOSWAP" live --json --pid "$TPID" libbench.so.1 \
			"$W/lib$n-v$v/libbench.so.1" > "$W/j" 2> "$W/err"; then
			failed=$((failed + 1)); cat "$W/err" >&2; continue
		fi
		jq -r '"\(.times_ns.stop) \(.times_ns.patch_window) \(.times_ns.pause) \(.times_ns.total) \(.threads_stepped) \(.retries)"' "$W/j" |
			while read -r a b c d e f; do
				echo "$a" >> "$W/stop"; echo "$b" >> "$W/patch"
				echo "$c" >> "$W/pause"; echo "$d" >> "$W/total"
				echo "$e $f" >> "$W/steps"
			done
	done
	t1=$(date +%s%N)
	lat_swap=$(latency "$out")
	# the same time without swaps
	kill -USR1 "$TPID"
	sleep "$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.2f", d / 1e9}')"
	lat_none=$(latency "$out")
	printf '%-5s %-5s %3s | %-11s %-11s %-11s %-13s | %-11s %-11s | %-11s %-11s | %s\n' \
		"$n" "$kind" "$th" "$(p50p99 "$W/stop")" "$(p50p99 "$W/patch")" \
		"$(p50p99 "$W/pause")" "$(p50p99 "$W/total")" "$(p50p99 "$W/fstop")" \
		"$(p50p99 "$W/fpause")" "$lat_none" "$lat_swap" \
		"$(awk -v f=$failed '{s+=$1; r+=$2} END {printf "%d/%d/%d", s, r, f}' "$W/steps")"
	kill "$TPID"; wait "$TPID" 2>/dev/null || true; TPID=
done
done
done

# The cost of one call through the rewritten GOT equals the original.
n=${FUNCS%% *}
"$W/target$n" sleep 1 "$W/out" & TPID=$!
wait_file "$W/out.cost"
# the least disturbed of 20 measurements (of 1M calls each)
cost() { local i; for i in $(seq 20); do sleep 0.03; cat "$W/out.cost"; done | sort -n | head -1; }
before=$(cost)
"$SOSWAP" live --pid "$TPID" libbench.so.1 "$W/lib$n-v2/libbench.so.1" > /dev/null
sleep 0.1
after=$(cost)
echo "call cost through the GOT: before ${before} ns, after ${after} ns (best of 20 x 1M calls)"
