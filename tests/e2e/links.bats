#!/usr/bin/env bats
# soswap links: the same soname links as `ldconfig -n` (glibc), replaced
# atomically.
load helpers

D="$FIX/install"

# lib NAME SONAME|- : build libfoo.c as $T/a/NAME with that soname
lib() {
	if [ "$2" = - ]; then build_lib "$T/a/$1" "$D/libfoo.c"
	else build_lib "$T/a/$1" "$D/libfoo.c" -Wl,-soname,"$2"; fi
}

# listing DIR: "name type target" for every entry, sorted
listing() { (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f %y %l\n' | LC_ALL=C sort); }

# Build the same directory twice, run ldconfig -n on one and soswap on the
# other, and compare the complete listings.
compare_with_ldconfig() {
	cp -a "$T/a" "$T/b"
	ldconfig -n "$T/b" 2>/dev/null || true
	run "$SOSWAP" links "$T/a"
	[ "$status" -eq 0 ] || fail "soswap links failed"
	diff <(listing "$T/b") <(listing "$T/a") || fail "listings differ from ldconfig -n"
	# Idempotent: a second run changes nothing.
	run "$SOSWAP" links --json "$T/a"
	echo "$output" | jqe '[.links[] | select(.action == "create" or .action == "update")] | length == 0'
}

@test "links: several minor and major versions, same result as ldconfig -n" {
	mkdir "$T/a"
	for v in 1.0.0 1.2.0 1.9.9 1.10.0 1.10; do lib libfoo.so.$v libfoo.so.1; done
	for v in 2.0 2.0.1 2.1; do lib libfoo.so.$v libfoo.so.2; done
	lib libfoo.so.10.0.0 libfoo.so.10
	lib libbar-2.0.so.0.600.1 libbar-2.0.so.0
	lib libbar-2.0.so.0.1200.0 libbar-2.0.so.0
	lib libnosoname.so.3.1 -
	ln -s libfoo.so.1 "$T/a/libfoo.so"
	ln -s libfoo.so.1.0.0 "$T/a/libfoo.so.1"           # stale: points at an old one
	ln -s libfoo.so.2.1 "$T/a/libfoo.so.2.0.9"         # an alias: a candidate
	ln -s libgone.so.5.0 "$T/a/libgone.so.5"           # dangling, nobody's soname
	echo 'GROUP ( libc.so.6 )' > "$T/a/libc.so"         # linker script: skipped
	echo 'not elf' > "$T/a/libjunk.so.1"
	mkdir "$T/a/libdir.so.1"
	run "$SOSWAP" links --dry-run --json "$T/a"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.dry_run and (.links[] | select(.soname == "libfoo.so.1") |
		.target == "libfoo.so.1.10.0" and .action == "update" and .previous == "libfoo.so.1.0.0" and .candidates == 5)'
	echo "$output" | jqe '.links[] | select(.soname == "libfoo.so.2") | .target == "libfoo.so.2.1" and .action == "create"'
	echo "$output" | jqe '.links[] | select(.soname == "libbar-2.0.so.0") | .target == "libbar-2.0.so.0.1200.0"'
	echo "$output" | jqe '.links[] | select(.soname == "libnosoname.so.3.1") | .action == "same-file"'
	echo "$output" | jqe '[.links[].soname] | index("libgone.so.5") == null and index("libc.so") == null'
	[ "$(readlink "$T/a/libfoo.so.1")" = libfoo.so.1.0.0 ]   # dry run changed nothing
	[ ! -e "$T/a/libfoo.so.2" ]
	rm "$T/a/libgone.so.5"   # ldconfig removes dangling links; soswap leaves them
	compare_with_ldconfig
	[ "$(readlink "$T/a/libfoo.so.1")" = libfoo.so.1.10.0 ]
	# No temporary file is left behind.
	[ -z "$(ls -A "$T/a" | grep '^\.soswap-' || true)" ]
}

@test "links: a symlink alias newer than every file wins like in ldconfig" {
	mkdir "$T/a"
	lib libz1.so.1.2.11 libz1.so.1
	lib libz1.so.1.2.13 libz1.so.1
	ln -s libz1.so.1.2.11 "$T/a/libz1.so.1.3"   # an alias that sorts last
	compare_with_ldconfig
	[ "$(readlink "$T/a/libz1.so.1")" = libz1.so.1.3 ]
}

@test "links: a regular file named by its soname is left alone (Debian layout)" {
	mkdir "$T/a"
	lib libssl9.so.3 libssl9.so.3
	lib libssl9.so.3.0.9 libssl9.so.3
	compare_with_ldconfig
	[ -f "$T/a/libssl9.so.3" ] && [ ! -L "$T/a/libssl9.so.3" ]
	run "$SOSWAP" links "$T/a"
	[[ "$output" == *"libssl9.so.3 -> libssl9.so.3.0.9 (not a symlink, left alone)"* ]]
}

@test "links: text output names each link and what changed" {
	mkdir "$T/a"
	lib libq.so.1.0 libq.so.1
	lib libq.so.1.1 libq.so.1
	ln -s libq.so.1.0 "$T/a/libq.so.1"
	run "$SOSWAP" links --dry-run "$T/a"
	[ "$status" -eq 0 ]
	[[ "$output" == *"libq.so.1 -> libq.so.1.1 (would update, was libq.so.1.0)"* ]]
	run "$SOSWAP" links "$T/a"
	[[ "$output" == *"libq.so.1 -> libq.so.1.1 (updated, was libq.so.1.0)"* ]]
	run "$SOSWAP" links "$T/a"
	[[ "$output" == *"libq.so.1 -> libq.so.1.1 (ok)"* ]]
}

@test "links: the link is never missing while it is replaced" {
	mkdir "$T/a"
	lib libr.so.1.0 libr.so.1
	lib libr.so.1.1 libr.so.1
	ln -s libr.so.1.0 "$T/a/libr.so.1"
	# A reader resolves the soname link in a loop while soswap flips it
	# back and forth; it must always find a file.
	( for i in $(seq 1 4000); do [ -e "$T/a/libr.so.1" ] || { echo MISSING; exit 1; }; done; echo DONE ) > "$T/reader.out" &
	local reader=$!
	for i in $(seq 1 30); do
		ln -sfn libr.so.1.0 "$T/a/.tmp" && mv -T "$T/a/.tmp" "$T/a/libr.so.1"
		"$SOSWAP" links "$T/a" >/dev/null
	done
	wait "$reader" || true
	[ "$(cat "$T/reader.out")" = DONE ] || fail "soname link vanished: $(cat "$T/reader.out")"
	[ "$(readlink "$T/a/libr.so.1")" = libr.so.1.1 ]
}

@test "links: bad directories give one-line errors" {
	run "$SOSWAP" links "$T/missing"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/missing: No such file or directory"* ]]
	: > "$T/file"
	run "$SOSWAP" links "$T/file"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/file: Not a directory"* ]]
	run "$SOSWAP" links
	[ "$status" -eq 2 ]
	run "$SOSWAP" links --help
	[ "$status" -eq 0 ]; [[ "$output" == "Usage: soswap links"* ]]
}
