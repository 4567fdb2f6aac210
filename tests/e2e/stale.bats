#!/usr/bin/env bats
# soswap stale: processes running libraries that changed on disk, for each
# way a library gets changed (rm, rename over, cp over, cp -p over), and
# the mappings that must never count as libraries.
bats_require_minimum_version 1.5.0
load helpers
load procscan

setup_extra() {
	build_fix
	build_holders
	SHM="/dev/shm/soswap-test.$$.$RANDOM"
}

teardown_extra() {
	rm -f "$SHM"
}

# stale_json [ARGS...]: stale --json limited to $T, stderr dropped
stale_json() { "$SOSWAP" stale --json --dir "$T" "$@" 2>/dev/null; }

@test "stale: nothing changed, nothing reported (exit 0)" {
	start_holder "$T/holder-linked"
	run --separate-stderr "$SOSWAP" stale --dir "$T"
	[ "$status" -eq 0 ] || fail "status $status"
	[[ "$output" == "No process maps a deleted or replaced library ("*" processes scanned)." ]]
	stale_json | jqe '.libraries == [] and .scanned > 0'
}

@test "stale: deleted library, in text and JSON (exit 1)" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	start_holder "$T/holder-linked"; local q=$BG_PID
	local ino; ino=$(stat -c %i "$T/lib/libfix.so.1.0")
	rm "$T/lib/libfix.so.1.0"
	run --separate-stderr "$SOSWAP" stale --dir "$T/lib"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$T/lib/libfix.so.1.0: deleted, 2 processes" ] || fail "header"
	echo "$output" | grep -Eq "^ +$p +root +holder +0x[0-9a-f]+ +$T/lib/libfix.so.1.0 \\(deleted\\)\$" || fail "row"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1"
	echo "$output" | jqe ".libraries[0] | .path == \"$T/lib/libfix.so.1.0\" and .kind == \"deleted\"
		and .unsafe == false and .newer == null and .ino == $ino"
	[ "$(echo "$output" | jpids libraries 0)" = "$(printf '%s\n' $p $q | sort -n)" ]
	echo "$output" | jqe '.libraries[0].processes | all(.deleted)'
}

@test "stale: replaced by rename, with the newer file" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	mv "$T/new.so" "$T/lib/libfix.so.1.0"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1"
	echo "$output" | jqe ".libraries[0] | .kind == \"replaced\" and .newer == \"$T/lib/libfix.so.1.0\" and .unsafe == false"
	[ "$(echo "$output" | jpids libraries 0)" = "$p" ]
	run --separate-stderr "$SOSWAP" stale --dir "$T"
	[ "${lines[0]}" = "$T/lib/libfix.so.1.0: replaced by a newer file, 1 process" ]
	# a process started now maps the new file and is not stale
	start_holder "$T/holder" "$T/lib/libfix.so.1"
	[ "$(stale_json | jpids libraries 0)" = "$p" ]
}

@test "stale: rewritten in place with cp after the process started is unsafe" {
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	local ino; ino=$(stat -c %i "$T/lib/libfix.so.1.0")
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	cp "$T/new.so" "$T/lib/libfix.so.1.0"
	[ "$(stat -c %i "$T/lib/libfix.so.1.0")" = "$ino" ]
	run stale_json
	echo "$output" | jqe ".libraries | length == 1"
	echo "$output" | jqe ".libraries[0] | .kind == \"rewritten\" and .unsafe == true and .newer == null and .ino == $ino"
	[ "$(echo "$output" | jpids libraries 0)" = "$p" ]
	run --separate-stderr "$SOSWAP" stale --dir "$T"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"rewritten in place after start (UNSAFE)"* ]]
}

@test "stale: cp -p (old mtime kept) is caught by --ctime as changed" {
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	touch -d '2020-01-01' "$T/new.so"
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	sleep 0.05	# ctime must be at least one clock tick past the start
	cp -p "$T/new.so" "$T/lib/libfix.so.1.0"
	run stale_json
	echo "$output" | jqe '.libraries == []'
	run stale_json --ctime
	echo "$output" | jqe ".libraries[0] | .kind == \"changed\" and .unsafe == true"
	[ "$(echo "$output" | jpids libraries 0)" = "$p" ]
}

@test "stale: hard links made before start are not stale; who finds both names" {
	ln "$T/lib/libfix.so.1.0" "$T/hard.so"
	start_holder "$T/holder" "$T/hard.so"; local p=$BG_PID
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local q=$BG_PID
	run stale_json
	echo "$output" | jqe '.libraries == []'
	"$SOSWAP" who --json "$T/hard.so" 2>/dev/null | jpids files 0 > "$T/who"
	[ "$(cat "$T/who")" = "$(printf '%s\n' $p $q | sort -n)" ]
	# removing the name one process used makes that mapping deleted; the
	# unlink also moves the inode's ctime, which cannot be told from a
	# `cp -p`: only with --ctime is the other user "changed" (maybe unsafe)
	sleep 0.05
	rm "$T/hard.so"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1 and .[0].path == \"$T/hard.so\" and .[0].kind == \"deleted\""
	[ "$(echo "$output" | jpids libraries 0)" = "$p" ]
	run stale_json --ctime
	echo "$output" | jqe ".libraries | length == 2"
	echo "$output" | jqe ".libraries[0] | .path == \"$T/hard.so\" and .kind == \"deleted\" and .processes[0].pid == $p"
	echo "$output" | jqe ".libraries[1] | .path == \"$T/lib/libfix.so.1.0\" and .kind == \"changed\" and .processes[0].pid == $q"
}

@test "stale: memfd, /dev/shm, SysV and deleted exec temp files are not libraries" {
	mkdir "$T/tmp"
	start_holder "$T/holder" memfd "shm:$SHM" sysv "tmpexec:$T/tmp" "$T/lib/libfix.so.1"; local p=$BG_PID
	rm "$SHM" "$T/lib/libfix.so.1.0"
	# the holder really has those mappings, deleted ones included
	grep -q '/memfd:jit-cache (deleted)' /proc/$p/maps
	grep -q '/SYSV' /proc/$p/maps
	grep -q "$SHM (deleted)" /proc/$p/maps
	grep -Eq "r-xs .*$T/tmp/ffi.* \\(deleted\\)" /proc/$p/maps
	run --separate-stderr "$SOSWAP" stale --json
	echo "$output" | jqe "[.libraries[] | select(.processes | map(.pid) | index($p))] |
		map(.path) == [\"$T/lib/libfix.so.1.0\"]"
	echo "$output" | jqe '[.libraries[].path | select(test("^/memfd:|^/dev/shm/|^/SYSV|/ffi"))] == []'
}

@test "stale: an ELF library named without .so is still a library" {
	cp "$T/lib/libfix.so.1.0" "$T/plugin.bin"
	start_holder "$T/holder" "$T/plugin.bin"; local p=$BG_PID
	rm "$T/plugin.bin"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1 and .[0].path == \"$T/plugin.bin\" and .[0].kind == \"deleted\""
}

@test "stale: --lib and --dir filters" {
	build_fix "$T/other"
	start_holder "$T/holder" "$T/lib/libfix.so.1"; local p=$BG_PID
	start_holder "$T/holder" "$T/other/libfix.so.1"; local q=$BG_PID
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	cp "$T/new.so" "$T/new2.so"
	mv "$T/new.so" "$T/lib/libfix.so.1.0"
	mv "$T/new2.so" "$T/other/libfix.so.1.0"
	run stale_json
	echo "$output" | jqe '.libraries | length == 2'
	"$SOSWAP" stale --json --dir "$T/other/" 2>/dev/null | jqe ".libraries | length == 1 and .[0].path == \"$T/other/libfix.so.1.0\""
	"$SOSWAP" stale --json --lib "$T/lib/libfix.so.1.0" 2>/dev/null | jqe ".libraries | length == 1 and .[0].processes[0].pid == $p"
	# through the soname link: the file now there
	"$SOSWAP" stale --json --lib "$T/other/libfix.so.1" 2>/dev/null | jqe ".libraries | length == 1 and .[0].processes[0].pid == $q"
	"$SOSWAP" stale --json --lib /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | jqe ".libraries == []"
}

@test "stale: usage and errors" {
	run "$SOSWAP" stale --lib a --dir b
	[ "$status" -eq 2 ]; [[ "$output" == *"exclude each other"* ]]
	run "$SOSWAP" stale extra
	[ "$status" -eq 2 ]
	run "$SOSWAP" stale --dir "$T/missing"
	[ "$status" -eq 1 ]; [[ "$output" == "soswap stale: $T/missing: not a directory" ]]
	run "$SOSWAP" stale --help
	[ "$status" -eq 0 ]; [[ "$output" == "Usage: soswap stale"* ]]
}

# A root for chroot: the holder and the libraries it needs, copied in.
make_chroot() {
	local r="$1" f
	mkdir -p "$r/lib" "$r/tmp"
	cp "$T/holder" "$r/holder"
	for f in $(ldd "$T/holder" | grep -oE '/[^ ]+'); do
		mkdir -p "$r$(dirname "$f")"
		cp -L "$f" "$r$f"
	done
	build_lib "$r/lib/libfix.so.1" "$P/libfix.c" -Wl,-soname,libfix.so.1
}

@test "stale and who: a chrooted process (its maps show host paths)" {
	make_chroot "$T/root"
	bg chroot "$T/root" /holder /tmp/ready /lib/libfix.so.1 3>&-
	local p=$BG_PID lib="$T/root/lib/libfix.so.1"
	wait_for "$T/root/tmp/ready" 30 || fail "chrooted holder did not start"
	[ "$("$SOSWAP" who --json "$lib" 2>/dev/null | jpids files 0)" = "$p" ]
	"$SOSWAP" who --json "$lib" 2>/dev/null | jqe ".files[0].processes[0].path == \"$lib\""
	stale_json | jqe '.libraries == []'
	build_lib "$T/root/lib/new.so" "$P/libfix.c" -DFIX_VERSION=2 -Wl,-soname,libfix.so.1
	mv "$T/root/lib/new.so" "$lib"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1 and .[0].kind == \"replaced\" and .[0].newer == \"$lib\""
	[ "$(echo "$output" | jpids libraries 0)" = "$p" ]
}

@test "stale: a process in another mount namespace, its paths looked up through /proc/PID/root" {
	command -v unshare >/dev/null || skip "no unshare"
	unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
	mkdir -p "$T/ns"
	# a tmpfs only the namespace sees, holding the library (cp -p: the copy
	# happens after the process was forked, its mtime must not be later)
	bg unshare -m --propagation private sh -c "mount -t tmpfs none '$T/ns' && cp -p '$T/lib/libfix.so.1.0' '$T/ns/libfix.so.1' &&
		exec '$T/holder' '$T/ready.ns' '$T/ns/libfix.so.1'" 3>&-
	local p=$BG_PID
	wait_for "$T/ready.ns" 30 || fail "holder in the namespace did not start"
	grep -q "$T/ns/libfix.so.1" /proc/$p/maps
	[ ! -e "$T/ns/libfix.so.1" ]	# not in our view
	# nothing changed: the file is found through the process's root
	stale_json | jqe '.libraries == []'
	# replaced inside the namespace
	build_lib "$T/new.so" "$P/libfix.c" -DFIX_VERSION=2
	cp "$T/new.so" "/proc/$p/root$T/ns/new.so"
	mv "/proc/$p/root$T/ns/new.so" "/proc/$p/root$T/ns/libfix.so.1"
	run stale_json
	echo "$output" | jqe ".libraries | length == 1 and .[0].kind == \"replaced\" and .[0].path == \"$T/ns/libfix.so.1\""
}
