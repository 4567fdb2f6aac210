#!/usr/bin/env bats
# soswap diff: ABI verdicts on fixture pairs built with -g, checked against
# Debian's abidiff (abigail-tools).  Exit bits: 0 none, 4 change, 12
# incompatible.  Rules: soswap agrees with abidiff on whether anything
# changed and on every case abidiff calls incompatible; where abidiff only
# reports a change although existing callers break, soswap says 12.
load helpers

D="$FIX/diff"

# pair NAME [SRC] [NEW_SONAME]: build $T/NAME.old.so and $T/NAME.new.so
# from $D/NAME.{old,new}.c (else $D/SRC.c) and $D/NAME.{old,new}.map,
# with $PAIR_FLAGS added.
pair() {
	local n="$1" base="${2:-$1}" newso="${3:-}" side src so
	[ -n "$newso" ] || newso="lib$1.so.1"
	for side in old new; do
		src="$D/$n.$side.c"
		[ -e "$src" ] || src="$D/$base.c"
		so="lib$n.so.1"
		[ "$side" = new ] && so="$newso"
		local extra=()
		[ -e "$D/$n.$side.map" ] && extra=(-Wl,--version-script="$D/$n.$side.map")
		build_lib "$T/$n.$side.so" "$src" -g -Wl,-soname,"$so" "${extra[@]}" ${PAIR_FLAGS:-}
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

# like NAME STATUS [SRC] [NEW_SONAME]: build the pair; soswap and abidiff
# both give STATUS.
like() {
	pair "$1" "${3:-$1}" "${4:-}"
	verdicts "$1"
	[ "$SO" -eq "$2" ] && [ "$AB" -eq "$2" ] || fail "$1: abidiff $AB, soswap $SO, want $2"
}

# stricter NAME: one of the cases where abidiff reports only a change (4)
# although programs built against OLD break: soswap says 12.
stricter() {
	pair "$1"
	verdicts "$1"
	[ "$AB" -eq 4 ] && [ "$SO" -eq 12 ] || fail "$1: abidiff $AB, soswap $SO, want 4 and 12"
}

@test "diff: identical builds: no change (0), like abidiff" {
	like same 0
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "verdict: no ABI change (0 changes, 0 incompatible; symbols and DWARF compared)" ]]
}

@test "diff: added function: compatible (4), like abidiff" {
	like addfunc 4
	[[ "${lines[0]}" =~ ^compatible\ +symbol-added\ +function\ added_fn\ was\ added$ ]]
}

@test "diff: removed function: incompatible (12), like abidiff" {
	like rmfunc 12
	[[ "$output" =~ incompatible\ +symbol-removed\ +function\ removed_fn\ was\ removed ]]
}

@test "diff: function turned into an object: incompatible (12), like abidiff" {
	like functoobj 12
	[[ "$output" == *"thing changed from function to object"* ]]
}

@test "diff: exported object size change: abidiff says only 4, soswap 12 (copy relocations break)" {
	stricter objsize
	[[ "$output" =~ incompatible\ +size-changed\ +object\ table\ changed\ size\ from\ 16\ to\ 32\ bytes ]]
}

@test "diff: parameter type change: abidiff says only 4, soswap 12 (callers pass the old type)" {
	stricter paramtype
	[[ "$output" =~ incompatible\ +signature-changed\ +scale\(\):\ parameter\ 1\ \(x\)\ changed\ type\ from\ int\ to\ double ]]
}

@test "diff: added parameter: abidiff says only 4, soswap 12 (callers pass too few arguments)" {
	stricter addparam
	[[ "$output" == *"add(): parameters changed from (int, int) to (int, int, int)"* ]]
}

@test "diff: return type change: abidiff says only 4, soswap 12 (callers read the wrong register)" {
	stricter rettype
	[[ "$output" == *"ratio(): return type changed from int to double"* ]]
}

@test "diff: layout of a struct passed by pointer: abidiff says only 4, soswap 12 (callers allocate the old layout)" {
	stricter layout
	[[ "$output" == *"struct point: size changed from 8 to 12 bytes (reached from point_sum)"* ]]
	[[ "$output" == *"struct point: member x moved from offset 0 to offset 4"* ]]
	[[ "$output" == *"struct point: member z was added at offset 0"* ]]
}

@test "diff: change deep in a type behind typedef, const ** and array: abidiff says only 4, soswap 12" {
	stricter nested
	[[ "$output" == *"struct inner: member b changed type from short int to long int (reached from nested_walk)"* ]]
	[[ "$output" == *"struct node: size changed from 24 to 40 bytes"* ]]
	# each change once, although struct node is recursive
	[ "$(grep -c 'struct inner: size changed' <<<"$output")" -eq 1 ]
}

@test "diff: widened bit-field and callback parameter behind a typedef: abidiff says only 4, soswap 12" {
	stricter callback
	[[ "$output" == *"struct flags: member a changed from a 3-bit to a 4-bit field (reached from get)"* ]]
	[[ "$output" == *"struct flags: member b moved from bit 3 to bit 4"* ]]
	[[ "$output" == *"run(): parameter 2 (cb) changed type from int (*)(struct flags *, int) to int (*)(struct flags *, long int)"* ]]
}

@test "diff: a type respelled through a typedef is no change (0), like abidiff" {
	like typedef 0
	[ "${#lines[@]}" -eq 1 ]
}

@test "diff: C++ class layout and a struct behind std::vector: abidiff says only 4, soswap 12" {
	command -v "${CXX:-g++}" >/dev/null || skip "no C++ compiler"
	local side
	for side in old new; do
		"${CXX:-g++}" -g -O1 -shared -fPIC -o "$T/cxx.$side.so" "$D/cxx.$side.cc"
	done
	verdicts cxx
	[ "$AB" -eq 4 ] && [ "$SO" -eq 12 ] || fail "abidiff $AB, soswap $SO"
	[[ "$output" == *"class Box: size changed from 4 to 16 bytes (reached from _ZN6shapes3BoxC1Ei)"* ]]
	[[ "$output" == *"class Box: member w moved from offset 0 to offset 8"* ]]
	[[ "$output" == *"struct Widget: member id changed type from int to long int (reached from _ZN6shapes5countERKSt6vectorINS_6WidgetESaIS1_EE)"* ]]
	[[ "$output" != *"made"* ]]
}

@test "diff: enumerator appended and member added in padding: compatible (4), like abidiff" {
	like padding 4
	[[ "$output" =~ compatible\ +enum-changed\ +enum\ color:\ enumerator\ BLUE\ =\ 2\ was\ added ]]
	[[ "$output" =~ compatible\ +layout-changed\ +struct\ pad:\ member\ extra\ was\ added\ at\ offset\ 1 ]]
}

@test "diff: --no-dwarf compares symbol tables only" {
	pair paramtype
	run "$SOSWAP" diff --no-dwarf "$T/paramtype.old.so" "$T/paramtype.new.so"
	[ "$status" -eq 0 ]
	[[ "$output" == "verdict: no ABI change (0 changes, 0 incompatible; symbols only, DWARF not on both sides)" ]]
	# without -g on one side there is no DWARF to compare either
	build_lib "$T/nodebug.so" "$D/paramtype.new.c" -Wl,-soname,libparamtype.so.1
	run "$SOSWAP" diff --json "$T/paramtype.old.so" "$T/nodebug.so"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.dwarf == false and .changes == []'
}

@test "diff: added symbol version: compatible (4), like abidiff" {
	like addver 4 addver
	[[ "$output" =~ compatible\ +version-added\ +version\ LIBV_2.0\ was\ added ]]
	[[ "$output" =~ compatible\ +symbol-added\ +function\ ver_two@@LIBV_2.0\ was\ added ]]
	[[ "$output" != *incompatible\ * ]]
}

@test "diff: renamed symbol version: incompatible (12), like abidiff" {
	like renver 12 renver
	[[ "$output" == *"version LIBV_1.0 was removed"* ]]
	[[ "$output" == *"function ver_one@@LIBV_1.0 was removed"* ]]
	[[ "$output" == *"function ver_one@@LIBV_1.1 was added"* ]]
}

@test "diff: changed SONAME: incompatible (12), like abidiff" {
	like soname 12 same libsoname.so.2
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

# split_debug SO DEBUG: move the DWARF of SO into DEBUG (objcopy
# --only-keep-debug), strip SO and, unless NOLINK is set, point its
# .gnu_debuglink at DEBUG.
split_debug() {
	objcopy --only-keep-debug "$1" "$2"
	if [ -n "${NOLINK:-}" ]; then
		objcopy --strip-debug "$1"
	else
		objcopy --strip-debug --add-gnu-debuglink="$2" "$1"
	fi
	! readelf -S "$1" | grep -q '\.debug_info'
}

@test "diff: separate debug info through .gnu_debuglink (same dir and .debug/ subdir)" {
	pair layout
	mkdir "$T/.debug"
	split_debug "$T/layout.old.so" "$T/layout.old.debug"
	split_debug "$T/layout.new.so" "$T/.debug/layout.new.debug"
	readelf --string-dump=.gnu_debuglink "$T/layout.new.so" | grep -q layout.new.debug
	run "$SOSWAP" diff --json "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 12 ]
	echo "$output" | jqe '.dwarf == true'
	echo "$output" | jqe '.old_debug_file | endswith("/layout.old.debug")'
	echo "$output" | jqe '.new_debug_file | endswith("/.debug/layout.new.debug")'
	echo "$output" | jqe '[.changes[] | select(.kind == "layout-changed")] | length == 4'
	# abidiff finds the same debug info and agrees there is a change
	run abidiff "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 4 ] || [ "$status" -eq 12 ]
}

@test "diff: without build-id the debuglink CRC is checked: a stale debug file is not used" {
	PAIR_FLAGS=-Wl,--build-id=none pair layout
	PAIR_FLAGS=-Wl,--build-id=none pair rettype
	! readelf -n "$T/layout.new.so" | grep -q 'Build ID'
	split_debug "$T/layout.new.so" "$T/layout.new.debug"
	split_debug "$T/layout.old.so" "$T/layout.old.debug"
	run "$SOSWAP" diff --json "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 12 ]
	echo "$output" | jqe '.dwarf == true'
	# replace the new side's debug file by another library's: wrong CRC
	objcopy --only-keep-debug "$T/rettype.new.so" "$T/layout.new.debug"
	run "$SOSWAP" diff --json "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.dwarf == false and .new_debug_file == null'
}

@test "diff: separate debug info by build-id under --debug-dir (DIR/.build-id/xx/yyyy.debug)" {
	pair layout
	local side bid
	for side in old new; do
		bid=$("$SOSWAP" info --json "$T/layout.$side.so" | jq -r '.[0].build_id')
		[ "$bid" = "$(readelf -n "$T/layout.$side.so" | awk '/Build ID/ {print $3}')" ]
		mkdir -p "$T/root/.build-id/${bid:0:2}"
		NOLINK=1 split_debug "$T/layout.$side.so" "$T/root/.build-id/${bid:0:2}/${bid:2}.debug"
	done
	run "$SOSWAP" diff "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 0 ]
	[[ "$output" == *"DWARF not on both sides"* ]]
	run "$SOSWAP" diff --json --debug-dir "$T/root" "$T/layout.old.so" "$T/layout.new.so"
	[ "$status" -eq 12 ]
	echo "$output" | jqe --arg r "$T/root/.build-id/" '.dwarf == true and (.old_debug_file | startswith($r))'
	echo "$output" | jqe '.changes[] | select(.detail | startswith("struct point: member y moved from offset 4 to offset 8"))'
}

@test "diff: debuglink target under --debug-dir followed by the library's directory" {
	pair rettype
	mkdir -p "$T/root$T"
	split_debug "$T/rettype.old.so" "$T/root$T/rettype.old.debug"
	split_debug "$T/rettype.new.so" "$T/root$T/rettype.new.debug"
	[ ! -e "$T/rettype.old.debug" ] && [ ! -e "$T/.debug" ]
	run "$SOSWAP" diff --debug-dir "$T/root" "$T/rettype.old.so" "$T/rettype.new.so"
	[ "$status" -eq 12 ]
	[[ "$output" == *"ratio(): return type changed from int to double"* ]]
}

@test "diff: libc against itself with its -dbg build-id debug info, when installed" {
	local f=/lib/x86_64-linux-gnu/libc.so.6 bid
	bid=$("$SOSWAP" info --json "$f" | jq -r '.[0].build_id')
	[ -e "/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug" ] || skip "libc6-dbg not installed"
	run "$SOSWAP" diff --json "$f" "$f"
	[ "$status" -eq 0 ]
	echo "$output" | jqe --arg b "${bid:2}" '.dwarf == true and (.old_debug_file | contains($b)) and .changes == []'
}
