#!/usr/bin/env bats
# soswap deps: every search rule on fixtures built here, each checked
# against the real loader (an exec with LD_TRACE_LOADED_OBJECTS=1, or a
# real start for secure mode), then ldd over the whole system.
load helpers
bats_require_minimum_version 1.5.0

D="$FIX/deps"

setup_extra() {
	unset LD_LIBRARY_PATH LD_PRELOAD
	chmod 755 "$T"
}

# Sorted "name => path" / "name => not found" / "path" lines of an
# ldd-style listing, without addresses, vdso and the interpreter.
norm() {
	sed -E 's/ \(0x[0-9a-f]+\)$//; s/^[[:space:]]+//' |
		grep -v -e '^linux-vdso' -e '^/lib64/ld-linux-x86-64\.so\.2$' -e '^$' | sort -u
}

# check_agree [VAR=VALUE...] PROG: the real loader's trace of PROG (with
# those variables) and `soswap deps --flat` (given them with --env) list
# the same objects.
check_agree() {
	local vars=() envs=()
	while [[ "$1" == *=* ]]; do vars+=("$1"); envs+=(--env "$1"); shift; done
	local prog=$1 real ours
	real=$(env "${vars[@]}" LD_TRACE_LOADED_OBJECTS=1 "$prog" 2>&1 | norm)
	ours=$("$SOSWAP" deps --flat "${envs[@]}" "$prog" 2>&1 | norm)
	if [ "$real" != "$ours" ]; then
		printf 'real loader:\n%s\nsoswap:\n%s\n' "$real" "$ours" >&2
		return 1
	fi
	[ -n "$real" ]
}

# The JSON object of the library named NAME in `soswap deps --json ARGS`.
dep_json() {
	local name=$1; shift
	"$SOSWAP" deps --json "$@" | jq -c --arg n "$name" '.[0].objects[] | select(.name == $n)'
}

mklibs() { # mklibs DIR VALUE: libdep.so with that value in DIR
	mkdir -p "$1"
	build_lib "$1/libdep.so" "$D/libdep.c" -DVALUE="$2"
}

@test "deps: DT_RPATH beats LD_LIBRARY_PATH, which beats DT_RUNPATH" {
	mklibs "$T/r" 1; mklibs "$T/l" 2
	build_exe "$T/p-rpath" "$D/prog.c" -L"$T/r" -ldep -Wl,--disable-new-dtags -Wl,-rpath,"$T/r"
	build_exe "$T/p-runpath" "$D/prog.c" -L"$T/r" -ldep -Wl,--enable-new-dtags -Wl,-rpath,"$T/r"
	check_agree LD_LIBRARY_PATH="$T/l" "$T/p-rpath"
	check_agree LD_LIBRARY_PATH="$T/l" "$T/p-runpath"
	dep_json libdep.so --env LD_LIBRARY_PATH="$T/l" "$T/p-rpath" |
		jqe --arg p "$T/r/libdep.so" '.path == $p and .source == "rpath"'
	dep_json libdep.so --env LD_LIBRARY_PATH="$T/l" "$T/p-runpath" |
		jqe --arg p "$T/l/libdep.so" '.path == $p and .source == "LD_LIBRARY_PATH"'
	dep_json libdep.so "$T/p-runpath" | jqe --arg p "$T/r/libdep.so" '.path == $p and .source == "runpath"'
	# The programs really run with the library the tree names.
	[ "$(LD_LIBRARY_PATH="$T/l" "$T/p-rpath")" = 1 ]
	[ "$(LD_LIBRARY_PATH="$T/l" "$T/p-runpath")" = 2 ]
}

@test "deps: DT_RPATH is inherited by dependencies, DT_RUNPATH is not" {
	mklibs "$T/dep" 1
	mkdir -p "$T/mid"
	build_lib "$T/mid/libmid.so" "$D/libmid.c" -L"$T/dep" -ldep
	build_exe "$T/p-rpath" "$D/prog.c" -DMID -L"$T/mid" -lmid -Wl,-rpath-link,"$T/dep" \
		-Wl,--disable-new-dtags -Wl,-rpath,"$T/mid:$T/dep"
	build_exe "$T/p-runpath" "$D/prog.c" -DMID -L"$T/mid" -lmid -Wl,-rpath-link,"$T/dep" \
		-Wl,--enable-new-dtags -Wl,-rpath,"$T/mid:$T/dep"
	check_agree "$T/p-rpath"
	check_agree "$T/p-runpath"
	dep_json libdep.so "$T/p-rpath" |
		jqe --arg o "$T/p-rpath" '.source == "rpath" and .rpath_owner == $o and .depth == 2'
	dep_json libdep.so "$T/p-runpath" | jqe '.path == null and .source == "not found"'
	run "$SOSWAP" deps "$T/p-runpath"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libdep.so => not found"* ]]
}

@test "deps: \$ORIGIN of a program started through a symlink is the real file's directory" {
	mkdir -p "$T/real/bin" "$T/link"
	mklibs "$T/real/lib" 3
	build_exe "$T/real/bin/prog" "$D/prog.c" -L"$T/real/lib" -ldep -Wl,-rpath,'$ORIGIN/../lib'
	ln -s ../real/bin/prog "$T/link/prog"
	check_agree "$T/link/prog"
	dep_json libdep.so "$T/link/prog" | jqe --arg p "$T/real/bin/../lib/libdep.so" '.path == $p'
	[ "$("$T/link/prog")" = 3 ]
	# ldd takes the link's directory and gets it wrong; soswap does not.
	run ldd "$T/link/prog"
	[[ "$output" == *"libdep.so => not found"* ]]
}

@test "deps: \$LIB and \$PLATFORM in run paths" {
	plat=$(/lib64/ld-linux-x86-64.so.2 --help | sed -n 's/^  \([^ ]*\) (AT_PLATFORM.*/\1/p')
	[ -n "$plat" ]
	mklibs "$T/$plat" 6
	build_exe "$T/p" "$D/prog.c" -L"$T/$plat" -ldep -Wl,-rpath,"$T/"'$PLATFORM'
	check_agree "$T/p"
	dep_json libdep.so "$T/p" | jqe --arg p "$T/$plat/libdep.so" '.path == $p'
	build_exe "$T/q" "$D/plain.c" -Wl,-z,nodefaultlib -Wl,-rpath,'/usr/$LIB'
	check_agree "$T/q"
	dep_json libc.so.6 "$T/q" | jqe '.path == "/usr/lib/x86_64-linux-gnu/libc.so.6" and .source == "runpath"'
}

@test "deps: DF_1_NODEFLIB skips ld.so.cache and system directories" {
	build_exe "$T/nodef" "$D/plain.c" -Wl,-z,nodefaultlib
	check_agree "$T/nodef"
	dep_json libc.so.6 "$T/nodef" | jqe '.source == "not found"'
	run "$SOSWAP" deps --why libc.so.6 "$T/nodef"
	[[ "$output" == *"DF_1_NODEFLIB and in a system directory"* ]]
	# A run path still works.
	build_exe "$T/nodef2" "$D/plain.c" -Wl,-z,nodefaultlib -Wl,-rpath,/lib/x86_64-linux-gnu
	check_agree "$T/nodef2"
	dep_json libc.so.6 "$T/nodef2" | jqe '.source == "runpath"'
}

@test "deps: candidates of the wrong ELF class are skipped, a corrupt one is an error" {
	"$CC" -m32 -shared -fPIC -o /dev/null "$D/libdep.c" 2>/dev/null || skip "no -m32 toolchain"
	mkdir -p "$T/l32"
	"$CC" -m32 -shared -fPIC -o "$T/l32/libdep.so" "$D/libdep.c"
	mklibs "$T/l64" 4
	build_exe "$T/p" "$D/prog.c" -L"$T/l64" -ldep -Wl,-rpath,"$T/l32:$T/l64"
	check_agree "$T/p"
	dep_json libdep.so "$T/p" | jqe --arg p "$T/l64/libdep.so" '.path == $p'
	run "$SOSWAP" deps --why libdep.so "$T/p"
	[[ "$output" == *"$T/l32/libdep.so: wrong ELF class (ELFCLASS32)"* ]]
	[[ "$output" == *"$T/l64/libdep.so: found"* ]]
	# A text file first on the path: the loader refuses to go on.
	mkdir -p "$T/bad"; echo "not an ELF file at all, but long enough to be read by the loader" > "$T/bad/libdep.so"
	build_exe "$T/q" "$D/prog.c" -L"$T/l64" -ldep -Wl,-rpath,"$T/bad:$T/l64"
	run -127 env LD_TRACE_LOADED_OBJECTS=1 "$T/q"
	[[ "$output" == *"invalid ELF header"* ]]
	run "$SOSWAP" deps "$T/q"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libdep.so => error: $T/bad/libdep.so: invalid ELF header"* ]]
}

@test "deps: a program where a library is expected is refused, as the loader does" {
	mkdir -p "$T/x"
	build_lib "$T/x/libfake.so" "$D/libdep.c" -Wl,-soname,libfake.so
	build_exe "$T/p" "$D/plain.c" -L"$T/x" -Wl,--no-as-needed -lfake -Wl,-rpath,"$T/x"
	build_exe "$T/x/libfake.so" "$D/plain.c" -pie -fPIE
	run -127 env LD_TRACE_LOADED_OBJECTS=1 "$T/p"
	[[ "$output" == *"cannot dynamically load position-independent executable"* ]]
	run "$SOSWAP" deps "$T/p"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libfake.so => error: $T/x/libfake.so: cannot dynamically load position-independent executable"* ]]
	build_exe "$T/x/libfake.so" "$D/plain.c" -no-pie
	run -127 env LD_TRACE_LOADED_OBJECTS=1 "$T/p"
	[[ "$output" == *"cannot dynamically load executable"* ]]
	run "$SOSWAP" deps "$T/p"
	[[ "$output" == *"libfake.so => error: $T/x/libfake.so: cannot dynamically load executable"* ]]
}

@test "deps: a symlink loop on the path ends that path list, as in the loader" {
	mkdir -p "$T/loop"; ln -s libdep.so "$T/loop/libdep.so"
	mklibs "$T/ok" 5
	build_exe "$T/p" "$D/prog.c" -L"$T/ok" -ldep -Wl,--disable-new-dtags -Wl,-rpath,"$T/loop:$T/ok"
	check_agree "$T/p"
	check_agree LD_LIBRARY_PATH="$T/ok" "$T/p"
	run "$SOSWAP" deps --why libdep.so "$T/p"
	[[ "$output" == *"Too many levels of symbolic links"* ]]
}

@test "deps: ld.so.cache before the system directories" {
	# libelf-0.188.so exists in a system directory but has no cache entry;
	# libz.so.1 has one.
	[ -e /usr/lib/x86_64-linux-gnu/libelf-0.188.so ] || skip "no libelf-0.188.so"
	ldconfig -p | grep -q 'libelf-0\.188\.so' && skip "libelf-0.188.so is cached here"
	mkdir -p "$T/stub"
	build_lib "$T/stub/libelf-0.188.so" "$D/libdep.c" -Wl,-soname,libelf-0.188.so
	build_exe "$T/p" "$D/plain.c" -Wl,--no-as-needed "$T/stub/libelf-0.188.so" -lz
	check_agree "$T/p"
	dep_json libelf-0.188.so "$T/p" |
		jqe '.source == "system" and .path == "/lib/x86_64-linux-gnu/libelf-0.188.so"'
	dep_json libz.so.1 "$T/p" | jqe '.source == "ld.so.cache"'
}

@test "deps: glibc-hwcaps subdirectories are searched by CPU level" {
	mklibs "$T/h" 1
	best=""
	for l in x86-64-v2 x86-64-v3 x86-64-v4; do
		/lib64/ld-linux-x86-64.so.2 --help | grep -q "  $l (supported, searched)" && best=$l
		mklibs "$T/h/glibc-hwcaps/$l" "${l#x86-64-v}"
	done
	build_exe "$T/p" "$D/prog.c" -L"$T/h" -ldep -Wl,-rpath,"$T/h"
	check_agree "$T/p"
	if [ -n "$best" ]; then
		dep_json libdep.so "$T/p" | jqe --arg p "$T/h/glibc-hwcaps/$best/libdep.so" '.path == $p'
		[ "$("$T/p")" = "${best#x86-64-v}" ]
	fi
	# The legacy x86_64/ and tls/ subdirectories glibc 2.36 still searches.
	rm -rf "$T/h/glibc-hwcaps"; mklibs "$T/h/tls" 7
	check_agree "$T/p"
	dep_json libdep.so "$T/p" | jqe --arg p "$T/h/tls/libdep.so" '.path == $p'
}

@test "deps: .note.dlopen dependencies with --dlopen, marked optional, as dlopen finds them" {
	mkdir -p "$T/n"
	"$CC" -c -o "$T/note.o" "$D/dlopen-note.S"
	build_lib "$T/n/libnote.so" "$D/libdep.c" "$T/note.o" -Wl,-soname,libnote.so
	build_exe "$T/p" "$D/prog.c" -L"$T/n" -Wl,--no-as-needed -lnote -Wl,-rpath,"$T/n"
	build_exe "$T/probe" "$D/dlopen-probe.c" -ldl
	run "$SOSWAP" deps --dlopen --json "$T/p"
	[ "$status" -eq 0 ]
	real=$("$T/probe" libz.so.1)
	path=${real#libz.so.1 => }
	echo "$output" | jqe --arg p "$path" '.[0].objects[] | select(.name == "libz.so.1" and .optional and .path == $p and .dlopen_priority == "suggested" and .dlopen_feature == "compression")'
	[ "$("$T/probe" libsoswap-nope.so.7)" = "libsoswap-nope.so.7 => not found" ]
	echo "$output" | jqe '.[0].objects[] | select(.name == "libsoswap-nope.so.7" and .optional and .path == null)'
	echo "$output" | jqe '.[0].missing == 0'
	# Without --dlopen the notes are not followed.
	run "$SOSWAP" deps --json "$T/p"
	echo "$output" | jqe '[.[0].objects[] | select(.optional)] | length == 0'
	run "$SOSWAP" deps --dlopen "$T/p"
	[[ "$output" == *"libz.so.1 => "*"[optional, suggested]"* ]]
}

@test "deps: secure mode for a setuid program run by another user" {
	mklibs "$T/l" 8
	build_exe "$T/suid" "$D/prog.c" -L"$T/l" -ldep
	chown root:root "$T/suid"; chmod 4755 "$T/suid"
	# Root running a setuid-root program is not in secure mode.
	check_agree LD_LIBRARY_PATH="$T/l" "$T/suid"
	[ "$(LD_LIBRARY_PATH="$T/l" "$T/suid")" = 8 ]
	dep_json libdep.so --env LD_LIBRARY_PATH="$T/l" "$T/suid" | jqe '.source == "LD_LIBRARY_PATH"'
	# nobody: the loader ignores LD_LIBRARY_PATH and the program cannot start.
	run -127 runuser -u nobody -- env LD_LIBRARY_PATH="$T/l" "$T/suid"
	[ "$status" -ne 0 ]
	[[ "$output" == *"libdep.so: cannot open shared object file"* ]]
	run runuser -u nobody -- "$SOSWAP" deps --json --env LD_LIBRARY_PATH="$T/l" "$T/suid"
	[ "$status" -eq 1 ]
	echo "$output" | jqe '.[0].secure == "setuid to uid 0"'
	echo "$output" | jqe '.[0].objects[] | select(.name == "libdep.so" and .source == "not found")'
	# $ORIGIN of a secure program must stay inside the system directories.
	mkdir -p "$T/o/lib"; cp "$T/l/libdep.so" "$T/o/lib/"
	build_exe "$T/o/suid" "$D/prog.c" -L"$T/l" -ldep -Wl,-rpath,'$ORIGIN/lib'
	chmod 4755 "$T/o/suid"; chmod 755 "$T/o" "$T/o/lib"
	[ "$("$T/o/suid")" = 8 ]
	run -127 runuser -u nobody -- "$T/o/suid"
	[[ "$output" == *"libdep.so: cannot open shared object file"* ]]
	run runuser -u nobody -- "$SOSWAP" deps --json "$T/o/suid"
	echo "$output" | jqe '.[0].objects[] | select(.name == "libdep.so" and .source == "not found")'
	# File capabilities make an unprivileged exec secure too.
	if command -v setcap >/dev/null; then
		build_exe "$T/capprog" "$D/prog.c" -L"$T/l" -ldep
		setcap cap_net_raw+ep "$T/capprog"
		run -127 runuser -u nobody -- env LD_LIBRARY_PATH="$T/l" "$T/capprog"
		[[ "$output" == *"libdep.so: cannot open shared object file"* ]]
		run runuser -u nobody -- "$SOSWAP" deps --json --env LD_LIBRARY_PATH="$T/l" "$T/capprog"
		echo "$output" | jqe '.[0].secure == "file capabilities"'
		check_agree LD_LIBRARY_PATH="$T/l" "$T/capprog"
	fi
	# --secure forces it.
	run "$SOSWAP" deps --secure --env LD_LIBRARY_PATH="$T/l" "$T/suid"
	[ "$status" -eq 1 ]
	[[ "$output" == *"secure mode: forced"* ]]
	[[ "$output" == *"libdep.so => not found"* ]]
}

@test "deps: an object already loaded is reused by device and inode (hard link)" {
	mkdir -p "$T/h"
	build_lib "$T/h/libA.so" "$D/libdep.c" -Wl,-soname,libA.so
	build_lib "$T/h/libB.so" "$D/libdep.c" -Wl,-soname,libB.so
	build_exe "$T/p" "$D/plain.c" -L"$T/h" -Wl,--no-as-needed -lA -lB -Wl,-rpath,"$T/h"
	rm "$T/h/libB.so"; ln "$T/h/libA.so" "$T/h/libB.so"
	check_agree "$T/p"
	run "$SOSWAP" deps --json "$T/p"
	echo "$output" | jqe '[.[0].objects[] | select(.path != null and (.path | test("/lib[AB]\\.so$")))] | length == 1'
	run "$SOSWAP" deps "$T/p"
	[[ "$output" == *"libB.so => $T/h/libA.so (see above)"* ]]
}

@test "deps: LD_PRELOAD objects come first and are marked" {
	mklibs "$T/pre" 9
	build_exe "$T/p" "$D/plain.c"
	check_agree LD_PRELOAD="$T/pre/libdep.so" "$T/p"
	dep_json "$T/pre/libdep.so" --env LD_PRELOAD="$T/pre/libdep.so" "$T/p" | jqe '.preload and .source == "direct"'
	run "$SOSWAP" deps --env LD_PRELOAD=libsoswap-none.so "$T/p"
	[ "$status" -eq 0 ]
	[[ "$output" == *"libsoswap-none.so' from LD_PRELOAD cannot be preloaded"* ]]
}

@test "deps: tree, flat and json outputs; cycles; bad files" {
	mkdir -p "$T/c"
	# libcyc1 <-> libcyc2
	echo 'int c2(void); int c1(void){return 1;}' > "$T/c1.c"
	echo 'int c1(void); int c2(void){return c1();}' > "$T/c2.c"
	build_lib "$T/c/libcyc2.so" "$T/c2.c" -Wl,-soname,libcyc2.so
	build_lib "$T/c/libcyc1.so" "$T/c1.c" -Wl,-soname,libcyc1.so -L"$T/c" -Wl,--no-as-needed -lcyc2 -Wl,-rpath,'$ORIGIN'
	build_lib "$T/c/libcyc2.so" "$T/c2.c" -Wl,-soname,libcyc2.so -L"$T/c" -Wl,--no-as-needed -lcyc1 -Wl,-rpath,'$ORIGIN'
	build_exe "$T/p" "$D/plain.c" -L"$T/c" -Wl,--no-as-needed -lcyc1 -Wl,-rpath,"$T/c"
	check_agree "$T/p"
	run "$SOSWAP" deps "$T/p"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "$T/p [interpreter /lib64/ld-linux-x86-64.so.2]" ]]
	[[ "$output" == *"libcyc1.so => $T/c/libcyc1.so [runpath $T/c/]"* ]]
	[[ "$output" == *"libcyc2.so => $T/c/libcyc2.so [runpath $T/c/]"* ]]
	[[ "$output" == *"libcyc1.so => $T/c/libcyc1.so (see above)"* ]]
	run "$SOSWAP" deps --flat "$T/p"
	[[ "$output" == *$'\t'"libcyc2.so => $T/c/libcyc2.so"* ]]
	run "$SOSWAP" deps --json "$T/p"
	echo "$output" | jqe '.[0].objects[0].source == "root" and (.[0].objects | length) >= 4'
	# Not ELF, missing, directory, static.
	run "$SOSWAP" deps /etc/passwd
	[ "$status" -eq 1 ]
	[[ "$output" == "soswap deps: /etc/passwd: not an ELF file"* ]]
	run "$SOSWAP" deps "$T/missing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/missing: No such file or directory"* ]]
	build_exe "$T/static" "$D/plain.c" -static 2>/dev/null || skip "no static libc"
	run "$SOSWAP" deps "$T/static"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a dynamic executable"* ]]
	run "$SOSWAP" deps --flat --json "$T/p"
	[ "$status" -eq 2 ]
}

@test "deps: --root resolves inside a directory tree, its cache included" {
	mkdir -p "$T/root/etc" "$T/root/usr/lib/x86_64-linux-gnu" "$T/root/lib64" "$T/root/app"
	ln -s usr/lib "$T/root/lib"
	cp /lib64/ld-linux-x86-64.so.2 "$T/root/lib64/"
	cp /lib/x86_64-linux-gnu/libc.so.6 "$T/root/usr/lib/x86_64-linux-gnu/"
	build_lib "$T/root/usr/lib/x86_64-linux-gnu/libdep.so.1" "$D/libdep.c" -Wl,-soname,libdep.so.1
	build_exe "$T/root/app/p" "$D/prog.c" "$T/root/usr/lib/x86_64-linux-gnu/libdep.so.1"
	ldconfig -r "$T/root" 2>/dev/null || true
	run "$SOSWAP" deps --json --root "$T/root" /app/p
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.[0].objects[] | select(.name == "libc.so.6" and .path == "/lib/x86_64-linux-gnu/libc.so.6")'
	echo "$output" | jqe '.[0].objects[] | select(.name == "libdep.so.1" and .path != null)'
	# The root's /etc/ld.so.preload is read.
	echo "libdep.so.1 # a comment" > "$T/root/etc/ld.so.preload"
	run "$SOSWAP" deps --json --root "$T/root" /app/p
	echo "$output" | jqe '.[0].objects[1] | .name == "libdep.so.1" and .preload'
	rm "$T/root/etc/ld.so.preload"
	# A corrupt cache in the root is reported, and the search goes on.
	echo garbage > "$T/root/etc/ld.so.cache"
	run "$SOSWAP" deps --root "$T/root" /app/p
	[[ "$output" == *"corrupt ld.so.cache"* ]]
	[[ "$output" == *"libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 [system /lib/x86_64-linux-gnu/]"* ]]
}

@test "deps: agrees with ldd on every ELF file of the system" {
	run "$SOSWAP_SRC/tests/e2e/ldd-agreement.sh" "$SOSWAP"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" =~ ^checked\ ([0-9]+)\ files,\ 0\ mismatches$ ]]
	[ "${BASH_REMATCH[1]}" -gt 100 ]
}
