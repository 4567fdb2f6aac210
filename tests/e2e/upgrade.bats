#!/usr/bin/env bats
# soswap upgrade: install + live swap of every process, --stale, --rollback.
load helpers
bats_require_minimum_version 1.5.0

U="$FIX/upgrade"

setup_extra() {
	export SOSWAP_STATE_DIR="$T/state" SOSWAP_RUN_DIR="$T/run"
	mkdir -p "$T/lib" "$T/build" "$T/state" "$T/run"
	chmod 755 "$T"
	build_lib "$T/build/libup.so.1.0.0" "$U/libup.c" -DUP_VERSION=1 -Wl,-soname,libup.so.1
	build_lib "$T/build/libup.so.1.1.0" "$U/libup.c" -DUP_VERSION=2 -Wl,-soname,libup.so.1
	# linked by path: DT_NEEDED records the soname libup.so.1
	"$CC" -O1 -pthread -o "$T/build/uptarget" "$U/uptarget.c" "$T/build/libup.so.1.0.0" \
		-Wl,-rpath,"$T/lib"
	"$CC" -O1 -o "$T/build/tracer" "$U/tracer.c"
	cp "$T/build/libup.so.1.0.0" "$T/lib/"
	ln -s libup.so.1.0.0 "$T/lib/libup.so.1"
}

# start_target NAME: a target using $T/lib/libup.so.1, waits until ready.
start_target() {
	bg "$T/build/uptarget" "$T/$1.state"
	eval "PID_$1=$BG_PID"
	wait_for "$T/$1.state.ready" 20 || fail "target $1 did not start"
}

# version NAME: the version the target's last calls came from.
version() { sleep 0.2; cut -d' ' -f1 "$T/$1.state"; }
bad_calls() { cut -d' ' -f3 "$T/$1.state"; }

@test "upgrade: --live swaps every process, reports the one already traced as failed" {
	[ -n "$(readelf -d "$T/build/uptarget" | grep 'libup.so.1')" ] || fail "target not linked to libup.so.1"
	start_target a; start_target b; start_target c
	[ "$(version a)" = 1 ]
	bg "$T/build/tracer" "$PID_c"
	local i=0; while ! grep -q "TracerPid:[[:space:]]*$BG_PID" /proc/$PID_c/status && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	run --separate-stderr "$SOSWAP" upgrade --dir "$T/lib" --live --json "$T/build/libup.so.1.1.0"
	echo "$output"
	[ "$status" -eq 1 ]     # not every process is on the new version
	echo "$output" | jqe '.install.real_name == "libup.so.1.1.0" and .install.abi.verdict == "same"'
	echo "$output" | jqe --argjson a "$PID_a" '.processes[] | select(.pid == $a and .state == "swapped" and .pause_us > 0)'
	echo "$output" | jqe --argjson b "$PID_b" '.processes[] | select(.pid == $b and .state == "swapped")'
	echo "$output" | jqe --argjson c "$PID_c" '.processes[] | select(.pid == $c and .state == "failed" and (.reason | test("trace")))'
	echo "$output" | jqe '.summary == {"swapped":2,"failed":1,"needs_restart":0,"planned":0,"exited":0,"rolled_back":0} and (.complete | not)'
	[ "$(readlink "$T/lib/libup.so.1")" = libup.so.1.1.0 ]
	[ "$(version a)" = 2 ]; [ "$(version b)" = 2 ]; [ "$(version c)" = 1 ]
	# who, asked about the new file, finds the processes running it through
	# the copy the live swap loaded; the unswapped one still maps the old
	run --separate-stderr "$SOSWAP" who --json "$T/lib/libup.so.1.1.0" "$T/lib/libup.so.1.0.0"
	echo "$output" | jqe --argjson a "$PID_a" --argjson b "$PID_b" '[.files[0].processes[].pid] | index($a) != null and index($b) != null'
	echo "$output" | jqe --argjson c "$PID_c" '[.files[1].processes[] | select(.swapped | not) | .pid] == [$c]' 
	[ "$(bad_calls a)" = 0 ]; [ "$(bad_calls b)" = 0 ]
	kill "$BG_PID"   # the tracer, so teardown can stop c
}

@test "upgrade: text table, then --rollback puts link and processes back" {
	start_target a; start_target b
	run "$SOSWAP" upgrade --dir "$T/lib" --live "$T/build/libup.so.1.1.0"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"installed"*"libup.so.1.1.0"* ]]
	[[ "$output" == *"PID"*"STATE"*"PAUSE"* ]]
	[[ "$output" == *"2 swapped, 0 failed, 0 need restart"* ]]
	[ "$(version a)" = 2 ]
	run --separate-stderr "$SOSWAP" upgrade --rollback libup.so.1 --dir "$T/lib" --json
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.rollback.to == "libup.so.1.0.0" and .summary.rolled_back == 2'
	[ "$(readlink "$T/lib/libup.so.1")" = libup.so.1.0.0 ]
	[ "$(version a)" = 1 ]; [ "$(version b)" = 1 ]
	[ "$(bad_calls a)" = 0 ]; [ "$(bad_calls b)" = 0 ]
	# a new process gets v1 from disk again
	start_target n
	[ "$(version n)" = 1 ]
}

@test "upgrade: without --live the processes are listed as needing a restart (exit 1)" {
	start_target a
	run --separate-stderr "$SOSWAP" upgrade --dir "$T/lib" --report-only --json "$T/build/libup.so.1.1.0"
	[ "$status" -eq 1 ]
	echo "$output" | jqe --argjson a "$PID_a" '.processes[] | select(.pid == $a and .state == "needs-restart")'
	[ "$(version a)" = 1 ]
	[ "$(readlink "$T/lib/libup.so.1")" = libup.so.1.1.0 ]
}

@test "upgrade: --dry-run changes nothing and plans the swap" {
	start_target a
	local before; before=$(ls -la "$T/lib")
	run --separate-stderr "$SOSWAP" upgrade --dir "$T/lib" --live --dry-run --json "$T/build/libup.so.1.1.0"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jqe --argjson a "$PID_a" '.processes[] | select(.pid == $a and .state == "planned")'
	[ "$(ls -la "$T/lib")" = "$before" ]
	[ "$(version a)" = 1 ]
}

@test "upgrade --stale --live: after a rename over the library, processes move to the new file" {
	start_target a; start_target b
	# what dpkg does: write the new file beside, rename it over the old one
	cp "$T/build/libup.so.1.1.0" "$T/lib/.libup.so.1.0.0.dpkg-new"
	mv "$T/lib/.libup.so.1.0.0.dpkg-new" "$T/lib/libup.so.1.0.0"
	run --separate-stderr "$SOSWAP" stale --json --dir "$T/lib"
	echo "$output" | jqe --argjson a "$PID_a" '[.. | objects | select(.pid? == $a)] | length > 0'
	run --separate-stderr "$SOSWAP" upgrade --stale --live --dir "$T/lib" --json
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.summary.swapped == 2 and .complete'
	[ "$(version a)" = 2 ]; [ "$(version b)" = 2 ]
	[ "$(bad_calls a)" = 0 ]; [ "$(bad_calls b)" = 0 ]
	# one truth: swapped processes are not stale any more
	run --separate-stderr "$SOSWAP" stale --dir "$T/lib" --json
	echo "$output"
	echo "$output" | jqe --argjson a "$PID_a" --argjson b "$PID_b" \
		'[.. | objects | select((.pid? == $a or .pid? == $b) and (.swapped? != true))] | length == 0'
	# ... and who, asked about the old file (still mapped, by its
	# identity in maps), shows them as swapped to the new version
	run "$SOSWAP" who "/proc/$PID_a/map_files/$(grep -m1 'libup.so.1.0.0 (deleted)' /proc/$PID_a/maps | cut -d' ' -f1)"
	echo "$output"
	[[ "$output" == *"swapped live: runs "* ]]
}

@test "upgrade: usage errors are refused before any work (exit 2)" {
	run "$SOSWAP" upgrade --live --report-only "$T/build/libup.so.1.1.0"
	[ "$status" -eq 2 ]
	run "$SOSWAP" upgrade --stale --rollback libup.so.1
	[ "$status" -eq 2 ]
	run "$SOSWAP" upgrade
	[ "$status" -eq 2 ]
	run "$SOSWAP" upgrade --rollback libup.so.1 --live
	[ "$status" -eq 2 ]
	run "$SOSWAP" upgrade --lib x "$T/build/libup.so.1.1.0"
	[ "$status" -eq 2 ]
	[ "$(readlink "$T/lib/libup.so.1")" = libup.so.1.0.0 ]
}

@test "upgrade: bad NEW is a one-line error and nothing changes" {
	printf 'junk' > "$T/build/libup.so.1.2.0"
	local before; before=$(ls -la "$T/lib")
	run "$SOSWAP" upgrade --dir "$T/lib" --live "$T/build/libup.so.1.2.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libup.so.1.2.0"* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[ "$(ls -la "$T/lib")" = "$before" ]
	run "$SOSWAP" upgrade --rollback libnothing.so.1 --dir "$T/lib"
	[ "$status" -eq 1 ]
}
