#!/usr/bin/env bats
# soswap install: `cp` over a mapped library breaks a running program,
# `soswap install` does not; every step is crash-safe; bad input changes
# nothing.
load helpers
bats_require_minimum_version 1.5.0

D="$FIX/install"

setup_extra() {
	build_libfoo_versions 0 1
}

teardown_extra() {
	if [ -n "${LDCONF:-}" ]; then rm -f "$LDCONF"; ldconfig; fi
}

# Version 1.0.0 in place the ldconfig way, and a program using it.
old_in_place() {
	cp "$T/new/libfoo.so.1.0.0" "$T/lib/"
	ln -s libfoo.so.1.0.0 "$T/lib/libfoo.so.1"
	build_exe "$T/loop" "$D/loop.c" "$T/lib/libfoo.so.1" -Wl,-rpath,"$T/lib"
}

progress() { local v; v=$(cat "$T/progress" 2>/dev/null); echo "${v:-0}"; }

# Wait (bounded) until the looping program has made progress past $1.
wait_progress() {
	local from=$1 i=0
	while [ $((10#$(progress))) -le $((10#$from)) ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	[ $((10#$(progress))) -gt $((10#$from)) ]
}

# Full listing of a directory tree: name, type, size, link target, inode, mtime.
snapshot() { find "$1" -printf '%p %y %s %l %i %T@\n' | LC_ALL=C sort; }

# Entries named lib*.so* in DIR must each be (or point to) a complete old
# or new build.
check_complete() {
	local f
	for f in "$1"/lib*.so*; do
		[ -e "$f" ] || { [ -L "$f" ] && fail "$f dangles"; continue; }
		cmp -s "$f" "$T/new/libfoo.so.1.0.0" || cmp -s "$f" "$T/new/libfoo.so.1.1.0" ||
			fail "$f is neither the old nor the new build"
	done
}

@test "install: cp over the mapped library breaks the running program (the failure soswap prevents)" {
	old_in_place
	bg "$T/loop" 1 "$T/ready" "$T/progress"
	local pid=$BG_PID
	wait_for "$T/ready" 20
	wait_progress 0
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		cp "$T/new/libfoo.so.1.1.0" "$T/lib/libfoo.so.1.0.0"
		local k=0
		while kill -0 "$pid" 2>/dev/null && [ $k -lt 40 ]; do sleep 0.05; k=$((k + 1)); done
		kill -0 "$pid" 2>/dev/null || break
		cp "$T/new/libfoo.so.1.0.0" "$T/lib/libfoo.so.1.0.0"
	done
	local status=0
	kill -0 "$pid" 2>/dev/null && fail "the program survived $i copies"
	wait "$pid" || status=$?
	echo "# copies: $i, exit status: $status" >&3
	# 3: wrong result; 132 SIGILL, 135 SIGBUS, 139 SIGSEGV
	[[ " 3 132 135 139 " == *" $status "* ]] || fail "unexpected exit status $status"
}

@test "install: the running program keeps the old code, a new one gets the new code" {
	old_in_place
	bg "$T/loop" 1 "$T/ready" "$T/progress"
	local pid=$BG_PID
	wait_for "$T/ready" 20
	wait_progress 0
	run "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
	[ "$status" -eq 0 ] || fail "install failed"
	[[ "$output" == *"libfoo.so.1 -> libfoo.so.1.1.0 (was libfoo.so.1.0.0)"* ]]
	# It names the process still running the old version (soswap who).
	[[ "$output" == *"still running the previous version libfoo.so.1.0.0"*"
    $pid $T/loop 1 $T/ready $T/progress"* ]] || fail "process $pid not listed"
	# The running program goes on with version 1 for many more calls.
	local p; p=$(progress)
	wait_progress "$p" || fail "the running program stopped"
	wait_progress "$(progress)" || fail "the running program stopped"
	kill -0 "$pid"
	grep -q "$T/lib/libfoo.so.1.0.0" "/proc/$pid/maps"
	# A program started now runs version 2.
	run "$T/loop"
	[ "$output" = 2 ]
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.1.0 ]
	cmp "$T/lib/libfoo.so.1.1.0" "$T/new/libfoo.so.1.1.0"
	cmp "$T/lib/libfoo.so.1.0.0" "$T/new/libfoo.so.1.0.0"
	[ "$(stat -c %a "$T/lib/libfoo.so.1.1.0")" = 644 ]
	kill "$pid"
	local status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ] || fail "the program had exited with $status before it was killed"
}

@test "install: SIGKILL before each step leaves a complete old or new library" {
	local n expect
	for n in 1 2 3 4 5 6 7 8 9; do
		rm -rf "$T/lib" "$T/state"; mkdir "$T/lib"
		old_in_place
		run env SOSWAP_TEST_STOP_AT=$n "$SOSWAP" install --link-name --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
		[ "$status" -eq 137 ] || fail "step $n: not killed (status $status)"
		check_complete "$T/lib"
		# The soname switches at step 7 (a rename): before it the old build.
		expect=1; [ $n -gt 7 ] && expect=2
		run "$T/loop"
		[ "$output" = "$expect" ] || fail "step $n: loads version '$output', expected $expect"
		# Leftovers may only be temporary files that no loader considers.
		for f in $(ls -A "$T/lib"); do
			case $f in
			libfoo.so|libfoo.so.1|libfoo.so.1.0.0|libfoo.so.1.1.0) ;;
			.soswap-*) ;;
			*) fail "step $n: unexpected $f" ;;
			esac
		done
		# A second run completes the job.
		run "$SOSWAP" install --link-name --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
		[ "$status" -eq 0 ] || fail "step $n: re-run failed"
		[ -z "$(ls -A "$T/lib" | grep '^\.soswap-')" ] || fail "step $n: temporary files remain"
		run "$T/loop"
		[ "$output" = 2 ]
		[ "$(readlink "$T/lib/libfoo.so")" = libfoo.so.1 ]
	done
}

@test "install: concurrent installs into one directory take turns" {
	old_in_place
	local v pids=""
	for v in 1.1.1 1.1.2 1.1.3 1.1.4; do
		build_lib "$T/new/libfoo.so.$v" "$D/libfoo.c" -Wl,-soname,libfoo.so.1 -DFOO_VALUE=2 -DFOO_PAD
	done
	for v in 1.1.1 1.1.2 1.1.3 1.1.4; do
		"$SOSWAP" install --force --dir "$T/lib" "$T/new/libfoo.so.$v" >"$T/out.$v" 2>&1 &
		pids="$pids $!"
	done
	for v in $pids; do wait "$v" || fail "an install failed: $(cat "$T"/out.*)"; done
	for v in 1.0.0 1.1.1 1.1.2 1.1.3 1.1.4; do cmp "$T/lib/libfoo.so.$v" "$T/new/libfoo.so.$v"; done
	# Each install recorded what the one before it left: rolling back four
	# times walks the chain back to 1.0.0, each step to a different file.
	local seen; seen=$(readlink "$T/lib/libfoo.so.1")
	for v in 1 2 3 4; do
		run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
		[ "$status" -eq 0 ] || fail "rollback $v failed"
		[[ "$output" != *"already points"* ]] || fail "rollback $v found a stale record"
		seen="$seen $(readlink "$T/lib/libfoo.so.1")"
	done
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.0.0 ]
	[ "$(echo "$seen" | tr ' ' '\n' | sort -u | wc -l)" -eq 5 ] || fail "chain: $seen"
}

@test "install: a regular file named by its soname (Debian layout), with rollback" {
	build_lib "$T/lib/libfoo.so.1" "$D/libfoo.c" -Wl,-soname,libfoo.so.1
	build_exe "$T/loop" "$D/loop.c" "$T/lib/libfoo.so.1" -Wl,-rpath,"$T/lib"
	bg "$T/loop" 1 "$T/ready" "$T/progress"
	wait_for "$T/ready" 20
	run "$SOSWAP" install --json --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
	[ "$status" -eq 0 ] || fail "install failed"
	echo "$output" | jqe '.layout == "file" and .real_name == "libfoo.so.1" and .previous == "libfoo.so.1"'
	echo "$output" | jqe --argjson pid "$BG_PID" '[.processes[].pid] == [$pid]'
	local saved; saved=$(echo "$output" | jq -r .saved_copy)
	[[ "$saved" == "$T/state/"* ]]
	[[ "$(basename "$saved")" != lib* ]]
	[ -f "$T/lib/libfoo.so.1" ] && [ ! -L "$T/lib/libfoo.so.1" ]
	cmp "$T/lib/libfoo.so.1" "$T/new/libfoo.so.1.1.0"
	[ "$(ls -A "$T/lib")" = libfoo.so.1 ]
	wait_progress "$(progress)" || fail "the running program stopped"
	run "$T/loop"
	[ "$output" = 2 ]
	run "$SOSWAP" rollback --dir "$T/lib" libfoo.so.1
	[ "$status" -eq 0 ]
	[[ "$output" == *"restored the saved copy"* ]]
	run "$T/loop"
	[ "$output" = 1 ]
	[ ! -e "$saved" ]
	kill -0 "$BG_PID"
}

@test "install: SIGKILL before each step, Debian layout" {
	local n expect
	for n in 1 2 3 4 5 6 7 8; do
		rm -rf "$T/lib" "$T/state"; mkdir "$T/lib"
		cp "$T/new/libfoo.so.1.0.0" "$T/lib/libfoo.so.1"
		[ -e "$T/loop" ] || build_exe "$T/loop" "$D/loop.c" "$T/lib/libfoo.so.1" -Wl,-rpath,"$T/lib"
		run env SOSWAP_TEST_STOP_AT=$n "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
		[ "$status" -eq 137 ] || fail "step $n: not killed (status $status)"
		check_complete "$T/lib"
		expect=1; [ $n -gt 7 ] && expect=2
		run "$T/loop"
		[ "$output" = "$expect" ] || fail "step $n: loads version '$output', expected $expect"
		[ -z "$(ls -A "$T/lib" | grep -v -e '^libfoo.so.1$' -e '^\.soswap-')" ]
	done
}

@test "install: new soname, --version, --link-name, dry run" {
	run "$SOSWAP" install --dry-run --link-name --dir "$T/lib" --version 1.0.7 "$T/new/libfoo.so.1.0.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"would install libfoo.so.1.0.7"* ]]
	[[ "$output" == *"would create libfoo.so.1 -> libfoo.so.1.0.7"* ]]
	[ -z "$(ls -A "$T/lib")" ]
	[ ! -e "$T/state" ]
	run "$SOSWAP" install --json --link-name --dir "$T/lib" --version 1.0.7 "$T/new/libfoo.so.1.0.0"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.new_soname and .real_name == "libfoo.so.1.0.7" and .previous == null and .link_name == "libfoo.so" and .abi == null'
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.0.7 ]
	[ "$(readlink "$T/lib/libfoo.so")" = libfoo.so.1 ]
	# Installing the same build again does nothing.
	run "$SOSWAP" install --json --dir "$T/lib" --version 1.0.7 "$T/new/libfoo.so.1.0.0"
	echo "$output" | jqe '.unchanged'
	# The result is what ldconfig -n would make of the directory.
	cp -a "$T/lib" "$T/lib2"
	ldconfig -n "$T/lib2"
	diff <(ls -l "$T/lib" | awk '{print $9,$10,$11}') <(ls -l "$T/lib2" | awk '{print $9,$10,$11}')
}

@test "install: incompatible ABI under the same soname is refused unless --force" {
	old_in_place
	build_lib "$T/new/libfoo.so.1.2.0" "$D/libfoo.c" -Wl,-soname,libfoo.so.1 -DFOO_BREAK
	local before; before=$(snapshot "$T/lib")
	run "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.2.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"incompatible ABI change from libfoo.so.1.0.0 under the same soname libfoo.so.1"* ]]
	[[ "$output" == *"foo_extra"* ]]
	[[ "$output" == *"bump the major version (SONAME libfoo.so.2)"* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[ "$before" = "$(snapshot "$T/lib")" ]
	run --separate-stderr "$SOSWAP" install --force --json --dir "$T/lib" "$T/new/libfoo.so.1.2.0"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.abi.verdict == "incompatible" and (.abi.changes[] | select(.symbol == "foo_extra" and .incompatible))' >/dev/null
	[ "$(readlink "$T/lib/libfoo.so.1")" = libfoo.so.1.2.0 ]
	# Compatible additions go through and say so.
	run "$SOSWAP" install --dir "$T/lib" --version 1.3.0 "$T/new/libfoo.so.1.1.0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ABI against libfoo.so.1.2.0: compatible"* ]]
}

@test "install: a downgrade is refused unless --force" {
	old_in_place
	"$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.1.0" >/dev/null
	# Same ABI as 1.1.0, returns 1: only the version is older.
	build_lib "$T/new/libfoo.so.1.0.5" "$D/libfoo.c" -Wl,-soname,libfoo.so.1 -DFOO_PAD
	local before; before=$(snapshot "$T/lib")
	run "$SOSWAP" install --dir "$T/lib" "$T/new/libfoo.so.1.0.5"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libfoo.so.1.0.5 is older than the installed libfoo.so.1.1.0 (a downgrade); use --force"* ]]
	[ "$before" = "$(snapshot "$T/lib")" ]
	run "$SOSWAP" install --force --dir "$T/lib" "$T/new/libfoo.so.1.0.5"
	[ "$status" -eq 0 ]
	[[ "$output" == *"downgrade from libfoo.so.1.1.0 forced"* ]]
	run "$T/loop"
	[ "$output" = 1 ]
}

@test "install: a file owned by a Debian package needs --force (dry run)" {
	local dir=/usr/lib/x86_64-linux-gnu
	dpkg-query -S "$dir/libcmocka.so.0" >/dev/null 2>&1 || skip "libcmocka0 not installed"
	build_lib "$T/new/libcmocka.so.0.7.99" "$D/libfoo.c" -Wl,-soname,libcmocka.so.0
	local before; before=$(ls -li --time-style=full-iso "$dir"/libcmocka*)
	run "$SOSWAP" install --dry-run --dir "$dir" "$T/new/libcmocka.so.0.7.99"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$dir/libcmocka.so.0 belongs to Debian package libcmocka0"*"use --force"* ]]
	run --separate-stderr "$SOSWAP" install --dry-run --force --json --dir "$dir" "$T/new/libcmocka.so.0.7.99"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.dpkg_owner == "libcmocka0:amd64" and .dry_run and .previous == "libcmocka.so.0.7.0" and .abi.verdict == "incompatible"'
	[ "$before" = "$(ls -li --time-style=full-iso "$dir"/libcmocka*)" ]
}

@test "install: a new soname in a directory of the ld.so.cache set runs ldconfig" {
	LDCONF=/etc/ld.so.conf.d/zz-soswap-test-$$.conf
	echo "$T/lib" > "$LDCONF"
	ldconfig
	run "$SOSWAP" install --json --dir "$T/lib" "$T/new/libfoo.so.1.0.0"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.ldconfig and .new_soname'
	ldconfig -p | grep -q "libfoo.so.1 .*=> $T/lib/libfoo.so.1$"
	# Not a new soname: the cache already has it, no ldconfig run.
	run "$SOSWAP" install --json --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
	echo "$output" | jqe '.ldconfig == false'
}

@test "install: bad input gives one line and changes nothing" {
	old_in_place
	printf 'not a library' > "$T/new/libtext.so.1.0"
	build_exe "$T/new/libexe.so.1.0" "$D/loop.c" "$T/lib/libfoo.so.1"
	build_lib "$T/new/libfoo.so.1.5.0" "$D/libfoo.c"                          # no SONAME
	build_lib "$T/new/libfoo.so.2.0.0" "$D/libfoo.c" -Wl,-soname,libfoo.so.1  # wrong major
	build_lib "$T/new/libfoo.so" "$D/libfoo.c" -Wl,-soname,libfoo.so.1        # no version
	build_lib "$T/new/libbar.so.1.0" "$D/libfoo.c" -Wl,-soname,libbar.so.1
	"$CC" -m32 -shared -fPIC -o "$T/new/libfoo.so.1.6.0" "$D/libfoo.c" -Wl,-soname,libfoo.so.1 2>/dev/null || true
	build_lib "$T/lib/libfoo.so.1.1.0" "$D/libfoo.c" -Wl,-soname,libfoo.so.1 -DFOO_VALUE=7
	mkdir "$T/out"; ln -s ../out/libbar.so.1.0 "$T/lib/libbar.so.1"
	ln -s /usr/lib/x86_64-linux-gnu/libz.so.1 "$T/lib/libfoo.so"
	: > "$T/file"
	local before; before=$(snapshot "$T/lib")
	check() { # check STATUS PATTERN -- ARGS...
		local want=$1 pat=$2; shift 3
		run "$SOSWAP" install "$@"
		[ "$status" -eq "$want" ] || fail "status $status for $*"
		[[ "$output" == *$pat* ]] || fail "no '$pat' for $*"
		[ "$want" -ne 1 ] || [ "$(echo "$output" | wc -l)" -eq 1 ] || fail "not one line for $*"
		[ "$before" = "$(snapshot "$T/lib")" ] || fail "$T/lib changed by $*"
		[ ! -e "$T/state" ] || fail "state written by $*"
	}
	check 1 "$T/missing: No such file or directory" -- --dir "$T/missing" "$T/new/libfoo.so.1.1.0"
	check 1 "not a directory" -- --dir "$T/file" "$T/new/libfoo.so.1.1.0"
	check 1 "$T/new/libtext.so.1.0: not an ELF file" -- --dir "$T/lib" "$T/new/libtext.so.1.0"
	check 1 "not a shared library (PIE)" -- --dir "$T/lib" "$T/new/libexe.so.1.0"
	check 1 "has no SONAME" -- --dir "$T/lib" "$T/new/libfoo.so.1.5.0"
	check 1 "SONAME libfoo.so.1 does not carry the major version of real name libfoo.so.2.0.0" -- --dir "$T/lib" "$T/new/libfoo.so.2.0.0"
	check 1 "give --version" -- --dir "$T/lib" "$T/new/libfoo.so"
	check 1 "$T/lib/libfoo.so.1.1.0: already exists with different content" -- --dir "$T/lib" "$T/new/libfoo.so.1.1.0"
	check 1 "$T/lib/libbar.so.1: points outside $T/lib" -- --dir "$T/lib" "$T/new/libbar.so.1.0"
	check 1 "$T/lib/libfoo.so: points outside $T/lib" -- --dir "$T/lib" --link-name --version 1.9 "$T/new/libfoo.so.1.1.0"
	check 1 "missing: No such file or directory" -- --dir "$T/lib" "$T/new/libfoo.so.1.9.missing"
	if [ -e "$T/new/libfoo.so.1.6.0" ]; then
		check 1 "ELF32 i386, but $T/lib/libfoo.so.1.0.0 is ELF64 x86-64" -- --dir "$T/lib" "$T/new/libfoo.so.1.6.0"
	fi
	check 2 "no NEW" -- --dir "$T/lib"
	check 2 "--version" -- --dir "$T/lib" --version x.y "$T/new/libfoo.so.1.1.0"
	# A directory the caller cannot write (run as nobody).
	chmod 755 "$T" "$T/new"; chmod 644 "$T/new/libfoo.so.1.1.0"
	run setpriv --reuid=65534 --regid=65534 --clear-groups env SOSWAP_STATE_DIR="$T/state" "$SOSWAP" install --dir "$T/lib" --version 1.8 "$T/new/libfoo.so.1.1.0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/lib: directory not writable: Permission denied"* ]]
	[ "$before" = "$(snapshot "$T/lib")" ]
	run "$SOSWAP" install --help
	[[ "$output" == "Usage: soswap install"* ]]
}
