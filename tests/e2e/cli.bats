#!/usr/bin/env bats
# The soswap command itself: dispatch, --help, --version, exit codes.
load helpers

@test "cli: --version prints the version" {
	run "$SOSWAP" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^soswap\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "cli: --help lists every subcommand" {
	run "$SOSWAP" --help
	[ "$status" -eq 0 ]
	for c in info deps diff links install rollback who stale live upgrade; do
		[[ "$output" == *"  $c "* ]] || fail "missing $c"
	done
}

@test "cli: every subcommand has --help" {
	for c in info deps diff links install rollback who stale live upgrade; do
		run "$SOSWAP" "$c" --help
		[ "$status" -eq 0 ] || fail "$c --help exit $status"
		[[ "$output" == *"Usage: soswap $c"* ]] || fail "$c --help text"
	done
}

@test "cli: unknown command and no command are usage errors (exit 2)" {
	run "$SOSWAP" frobnicate
	[ "$status" -eq 2 ]; [[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$SOSWAP"
	[ "$status" -eq 2 ]
	run "$SOSWAP" --color=sometimes info /bin/true
	[ "$status" -eq 2 ]
}

@test "cli: a write error on stdout is a failure" {
	[ -e /dev/full ] || skip "no /dev/full"
	run bash -c "'$SOSWAP' info --json /lib/x86_64-linux-gnu/libc.so.6 > /dev/full"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write error"* ]]
}
