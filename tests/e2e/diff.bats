#!/usr/bin/env bats
# soswap diff: ABI verdicts on fixture pairs built with -g, checked against
# Debian's abidiff (abigail-tools).  Exit bits: 0 none, 4 change, 12
# incompatible.  Rules: soswap agrees with abidiff on whether anything
# changed and on every case abidiff calls incompatible; where abidiff only
# reports a change although existing callers break, soswap says 12.
load helpers

D="$FIX/diff"

# pair NAME [SRC] [NEW_SONAME]: build $T/NAME.old.so and $T/NAME.new.so
# from $D/NAME.{old,new}.c (else $D/SRC.c) and $D/NAME.{old,new}.map.
pair() {
	local n="$1" base="${2:-$1}" newso="${3:-lib$1.so.1}" side src so
	for side in old new; do
		src="$D/$n.$side.c"
		[ -e "$src" ] || src="$D/$base.c"
		so="lib$n.so.1"
		[ "$side" = new ] && so="$newso"
		local extra=()
		[ -e "$D/$n.$side.map" ] && extra=(-Wl,--version-script="$D/$n.$side.map")
		build_lib "$T/$n.$side.so" "$src" -g -Wl,-soname,"$so" "${extra[@]}"
	done
}

# verdicts NAME: sets AB (abidiff status) and SO (soswap status), and
# $output to soswap's human output; checks the agreement rules.
verdicts() {
	local n="$1"
	run abidiff "$T/$n.old.so" "$T/$n.new.so"
	AB=$status
	[ "$AB" -eq 0 ] || [ "$AB" -eq 4 ] || [ "$AB" -eq 12 ] || fail "abidiff failed: $AB"
	run "$SOSWAP" diff "$T/$n.old.so" "$T/$n.new.so"
	SO=$status
	[ $((AB == 0)) -eq $((SO == 0)) ] || fail "$n: abidiff $AB, soswap $SO disagree on change"
	if [ $((AB & 8)) -ne 0 ]; then
		[ "$SO" -eq 12 ] || fail "$n: abidiff says incompatible, soswap $SO"
	fi
	[[ "${lines[-1]}" == verdict:* ]] || fail "no verdict line"
}

@test "diff: identical builds: no change (0), like abidiff" {
	pair same
	verdicts same
	[ "$SO" -eq 0 ] && [ "$AB" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "verdict: no ABI change (0 changes, 0 incompatible; symbols and DWARF compared)" ]]
}

@test "diff: added function: compatible (4), like abidiff" {
	pair addfunc
	verdicts addfunc
	[ "$SO" -eq 4 ] && [ "$AB" -eq 4 ]
	[[ "${lines[0]}" =~ ^compatible\ +symbol-added\ +function\ added_fn\ was\ added$ ]]
}

@test "diff: removed function: incompatible (12), like abidiff" {
	pair rmfunc
	verdicts rmfunc
	[ "$SO" -eq 12 ] && [ "$AB" -eq 12 ]
	[[ "$output" =~ incompatible\ +symbol-removed\ +function\ removed_fn\ was\ removed ]]
}

@test "diff: function turned into an object: incompatible (12), like abidiff" {
	pair functoobj
	verdicts functoobj
	[ "$SO" -eq 12 ] && [ "$AB" -eq 12 ]
	[[ "$output" == *"thing changed from function to object"* ]]
}

@test "diff: exported object size change: abidiff says only 4, soswap 12 (copy relocations break)" {
	pair objsize
	verdicts objsize
	[ "$AB" -eq 4 ] || [ "$AB" -eq 12 ]
	[ "$SO" -eq 12 ]
	[[ "$output" =~ incompatible\ +size-changed\ +object\ table\ changed\ size\ from\ 16\ to\ 32\ bytes ]]
}

@test "diff: added symbol version: compatible (4), like abidiff" {
	pair addver addver
	verdicts addver
	[ "$SO" -eq 4 ] && [ "$AB" -eq 4 ]
	[[ "$output" =~ compatible\ +version-added\ +version\ LIBV_2.0\ was\ added ]]
	[[ "$output" =~ compatible\ +symbol-added\ +function\ ver_two@@LIBV_2.0\ was\ added ]]
	[[ "$output" != *incompatible\ * ]]
}

@test "diff: renamed symbol version: incompatible (12), like abidiff" {
	pair renver renver
	verdicts renver
	[ "$SO" -eq 12 ] && [ "$AB" -eq 12 ]
	[[ "$output" == *"version LIBV_1.0 was removed"* ]]
	[[ "$output" == *"function ver_one@@LIBV_1.0 was removed"* ]]
	[[ "$output" == *"function ver_one@@LIBV_1.1 was added"* ]]
}

@test "diff: changed SONAME: incompatible (12), like abidiff" {
	pair soname same libsoname.so.2
	verdicts soname
	[ "$SO" -eq 12 ] && [ "$AB" -eq 12 ]
	[[ "$output" =~ incompatible\ +soname-changed\ +SONAME\ changed\ from\ libsoname.so.1\ to\ libsoname.so.2 ]]
}

@test "diff: --json gives the verdict, exit status and every change" {
	pair renver renver
	run "$SOSWAP" diff --json "$T/renver.old.so" "$T/renver.new.so"
	[ "$status" -eq 12 ]
	echo "$output" | jqe '.verdict == "incompatible" and .exit_status == 12 and .dwarf == true'
	echo "$output" | jqe '.changes[] | select(.kind == "version-removed" and .symbol == "LIBV_1.0" and .incompatible)'
	echo "$output" | jqe '.changes[] | select(.kind == "symbol-added" and .symbol == "ver_one@@LIBV_1.1" and (.incompatible | not))'
	pair same
	run "$SOSWAP" diff --json --no-dwarf "$T/same.old.so" "$T/same.new.so"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.verdict == "same" and .changes == [] and .dwarf == false and .old_debug_file == null'
}

@test "diff: real system library against itself: no change" {
	local f=/lib/x86_64-linux-gnu/libz.so.1
	[ -e "$f" ] || f=/lib/x86_64-linux-gnu/libc.so.6
	run "$SOSWAP" diff "$f" "$f"
	[ "$status" -eq 0 ]
	[[ "$output" == "verdict: no ABI change"* ]]
}

@test "diff: errors exit 1 with one line naming the file; usage errors exit 3" {
	pair same
	printf 'not elf' > "$T/text"
	run "$SOSWAP" diff "$T/same.old.so" "$T/text"
	[ "$status" -eq 1 ]
	[[ "$output" == "soswap diff: $T/text: not an ELF file"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run "$SOSWAP" diff "$T/missing.so" "$T/same.new.so"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/missing.so: No such file or directory"* ]]
	run "$SOSWAP" diff "$T/same.old.so"
	[ "$status" -eq 3 ]; [[ "$output" == *"need exactly two files"* ]]
	run "$SOSWAP" diff --bogus "$T/same.old.so" "$T/same.new.so"
	[ "$status" -eq 3 ]
	run "$SOSWAP" diff --help
	[ "$status" -eq 0 ]; [[ "$output" == "Usage: soswap diff"* ]]
}
