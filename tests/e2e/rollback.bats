#!/usr/bin/env bats
# soswap rollback: back to the version install replaced, atomically, and
# ldconfig does not undo it.
load helpers
bats_require_minimum_version 1.5.0

D="$FIX/install"

setup_extra() {
	build_libfoo_versions 0 1 2
	"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.0.0" >/dev/null
	build_exe "$T/loop" "$D/loop.c" "$T/lib/libfoo.so.1" -Wl,-rpath,"$T/lib"
}

@test "rollback: steps back through each installed version" {
	"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0" >/dev/null
	"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.2.0" >/dev/null
	[ "$("$T/loop")" = 3 ]
	bg "$T/loop" 3 "$T/ready" "$T/progress"
	wait_for "$T/ready" 20
	run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 0 ]
	[[ "$output" == *"libfoo.so.1 -> libfoo.so.1.1.0 (was libfoo.so.1.2.0)"* ]]
	[[ "$output" == *"moved libfoo.so.1.2.0 to $T/state"* ]]
	[ "$("$T/loop")" = 2 ]
	run --separate-stderr "$SOSWAP" rollback --json --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.from == "libfoo.so.1.1.0" and .to == "libfoo.so.1.0.0" and .layout == "symlink" and (.state_only | not)'
	[ "$("$T/loop")" = 1 ]
	# The running program was never disturbed.
	kill -0 "$BG_PID"
	# ldconfig does not point the soname back at a version rolled back from.
	ldconfig -n "$T/lib"
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.0.0 ]
	[ "$(ls "$T/lib")" = "$(printf 'libfoo.so.1\nlibfoo.so.1.0.0')" ]
	run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/lib/libfoo.so.1: no previous version recorded"* ]]
	# Installing again after a rollback works.
	run "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.2.0"
	[ "$status" -eq 0 ]
	[ "$("$T/loop")" = 3 ]
}

@test "rollback: after an install killed before the switch, only the record changes" {
	run env SOSWAP_TEST_STOP_AT=6 "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
	[ "$status" -eq 137 ]
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.0.0 ]
	run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 0 ]
	[[ "$output" == *"already points at libfoo.so.1.0.0"* ]]
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.0.0 ]
}

@test "rollback: the soname link is never missing while it is switched" {
	"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0" >/dev/null
	( for i in $(seq 1 3000); do [ -e "$T/lib/libfoo.so.1" ] || { echo MISSING; exit 1; }; done; echo DONE ) > "$T/reader.out" &
	local reader=$!
	for i in 1 2 3 4 5 6 7 8; do
		"$SOSWAP" rollback --dir "$T/lib" libfoo.so.1 >/dev/null
		"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0" >/dev/null 2>&1 ||
			"$SOSWAP" install --force --dir "$T/lib" "$T/new/libfoo.so.1.1.0" >/dev/null
	done
	wait "$reader" || true
	[ "$(cat "$T/reader.out")" = DONE ]
}

@test "rollback: bad input" {
	run "$SOSWAP" rollback --dir "$T/lib" libbar.so.1
	[ "$status" -eq 1 ]; [[ "$output" == *"libbar.so.1: no previous version recorded"* ]]
	run "$SOSWAP" rollback --dir "$T/missing" libfoo.so.1
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/missing: No such file or directory"* ]]
	run "$SOSWAP" rollback --dir "$T/lib" ../etc/passwd
	[ "$status" -eq 1 ]; [[ "$output" == *"not a soname"* ]]
	printf 'garbage\n' > "$T/state$T/lib/libfoo.so.1.state"
	run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 1 ]; [[ "$output" == *"not a soswap state file"* ]]
	run "$SOSWAP" rollback
	[ "$status" -eq 2 ]
	run "$SOSWAP" rollback --help
	[[ "$output" == "Usage: soswap rollback"* ]]
}
