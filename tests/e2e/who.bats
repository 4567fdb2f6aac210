#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# soswap who: processes mapping a library, checked against the processes
# the test started and against lsof on the same state.
load helpers
load procscan

setup_extra() {
	build_fix
	build_holders
}

teardown_extra() {
	if [ -n "${BIND:-}" ]; then umount "$BIND" 2>/dev/null || true; fi
}

who_pids() { "$SOSWAP" who --json "$1" | jpids files 0; }
lsof_pids() { lsof -t "$1" 2>/dev/null | sort -n; }
live_pids() { ls /proc | grep -E '^[0-9]+$' | sort; }

@test "who: linked and dlopened users, found under every name; agrees with lsof" {
	ln "$T/lib/libfix.so.1.0" "$T/hard.so"
	start_holder "$T/holder-linked"; local p1=$BG_PID
	start_holder "$T/holder" "$T/hard.so"; local p2=$BG_PID
	start_holder "$T/holder" "$T/lib/libfix.so"; local p3=$BG_PID
	start_holder "$T/holder" memfd; local p4=$BG_PID
	local want; want=$(printf '%s\n' $p1 $p2 $p3 | sort -n)
	for name in "$T/lib/libfix.so.1.0" "$T/lib/libfix.so.1" "$T/lib/libfix.so" "$T/hard.so"; do
		[ "$(who_pids "$name")" = "$want" ] || fail "who $name: $(who_pids "$name") != $want"
		[ "$(lsof_pids "$name")" = "$want" ] || fail "lsof disagrees on $name"
	done
	run --separate-stderr "$SOSWAP" who "$T/lib/libfix.so.1"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "$T/lib/libfix.so.1: 3 processes" ]] || fail "header"
	[[ "$output" == *PID*USER*COMMAND*BASE*"MAPPED AS"* ]] || fail "table header"
	echo "$output" | grep -Eq "^ +$p1 +root +holder-linked +0x[0-9a-f]+ +$T/lib/libfix.so.1.0\$" || fail "row p1"
	echo "$output" | grep -Eq "^ +$p2 +root +holder +0x[0-9a-f]+ +$T/hard.so\$" || fail "row p2"
	[[ "$output" != *" $p4 "* ]] || fail "memfd holder listed"
}

@test "who: JSON carries pid, command, user, path and the load base from maps" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	local before; before=$(live_pids)
	run --separate-stderr "$SOSWAP" who --json "$T/lib/libfix.so.1" /lib/x86_64-linux-gnu/libc.so.6
	[ "$status" -eq 0 ]
	lsof_pids /lib/x86_64-linux-gnu/libc.so.6 > "$T/lsof"
	# processes alive through both scans (bats itself forks short-lived ones)
	comm -12 <(echo "$before") <(live_pids) > "$T/stable"
	local ino; ino=$(stat -L -c %i "$T/lib/libfix.so.1")
	echo "$output" | jqe ".files[0].file == \"$T/lib/libfix.so.1\" and .files[0].ino == $ino"
	echo "$output" | jqe ".files[0].processes | length == 1"
	echo "$output" | jqe ".files[0].processes[0] | .pid == $p and .comm == \"holder\" and .user == \"root\"
		and .uid == 0 and .path == \"$T/lib/libfix.so.1.0\" and .deleted == false and .swapped == false
		and (.cmdline | startswith(\"$T/holder \")) and (.start_time | type == \"number\")"
	local base; base=$(awk -v f="$T/lib/libfix.so.1.0" '$6 == f && $3 == "00000000" {split($1, a, "-"); print "0x" a[1]; exit}' /proc/$p/maps)
	echo "$output" | jqe ".files[0].processes[0].base == \"$base\""
	# libc: the holder is among its users, and lsof agrees on the whole set
	echo "$output" | jqe ".files[1].processes | map(.pid) | index($p)"
	diff <(echo "$output" | jpids files 1 | grep -Fxf "$T/stable") <(grep -Fxf "$T/stable" "$T/lsof") ||
		fail "libc users differ from lsof"
	[ "$(grep -Fxf "$T/stable" "$T/lsof" | wc -l)" -ge 2 ]
}

@test "who: a path through a bind mount finds the same processes" {
	mkdir "$T/bind"
	mount --bind "$T/lib" "$T/bind" 2>/dev/null || skip "cannot bind-mount here"
	BIND="$T/bind"
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	[ "$(who_pids "$T/bind/libfix.so.1")" = "$p" ]
	[ "$(who_pids "$T/lib/libfix.so.1")" = "$p" ]
}

@test "who: after a rename over, the new file has no users and the old one's are gone from it" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	mv "$T/new.so" "$T/lib/libfix.so.1.0"
	[ -z "$(who_pids "$T/lib/libfix.so.1")" ] || fail "new file has users"
	[ -z "$(lsof_pids "$T/lib/libfix.so.1")" ] || fail "lsof sees users of the new file"
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local q=$BG_PID
	[ "$(who_pids "$T/lib/libfix.so.1")" = "$q" ]
}

@test "who: without root, only visible processes, with a count of the others" {
	command -v setpriv >/dev/null || skip "no setpriv"
	chmod 755 "$T"
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local root_pid=$BG_PID
	chmod 777 "$T"
	bg setpriv --reuid=65534 --regid=65534 --clear-groups "$T/holder" "$T/ready.nobody" "$T/lib/libfix.so.1" 3>&-
	wait_for "$T/ready.nobody" 30
	local nobody_pid; nobody_pid=$(pgrep -f "$T/ready.nobody" | head -1)
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SOSWAP" who --json "$T/lib/libfix.so.1" >"$T/out" 2>"$T/err"
	jq -e ".files[0].processes | map(.pid) == [$nobody_pid]" "$T/out" >/dev/null || fail "$(cat "$T/out")"
	jq -e '.denied > 0' "$T/out" >/dev/null
	grep -q "could not be inspected (permission denied, run as root)" "$T/err"
	[ "$(who_pids "$T/lib/libfix.so.1")" = "$(printf '%s\n' $root_pid $nobody_pid | sort -n)" ]
}

@test "who: errors and usage" {
	run "$SOSWAP" who "$T/missing.so"
	[ "$status" -eq 1 ]; [[ "$output" == "soswap who: $T/missing.so: No such file or directory" ]]
	run "$SOSWAP" who "$T"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T: not a regular file"* ]]
	run "$SOSWAP" who
	[ "$status" -eq 2 ]
	run "$SOSWAP" who --bogus x
	[ "$status" -eq 2 ]
	run "$SOSWAP" who --help
	[ "$status" -eq 0 ]; [[ "$output" == "Usage: soswap who"* ]]
}

@test "who, stale: reading leaves the run directory alone (nothing created)" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	local run="$T/run-never-made"
	SOSWAP_RUN_DIR=$run run --separate-stderr "$SOSWAP" who --json "$T/lib/libfix.so.1"
	[ "$status" -eq 0 ]
	echo "$output" | jqe ".files[0].processes | map(.pid) == [$p]"
	SOSWAP_RUN_DIR=$run run --separate-stderr "$SOSWAP" stale --json
	[ "$status" -eq 0 ]
	[ ! -e "$run" ] || fail "who/stale created $run"
}
