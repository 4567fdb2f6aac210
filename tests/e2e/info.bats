#!/usr/bin/env bats
# soswap info: checked field by field against readelf (binutils).
load helpers

D="$FIX/info"

# exported name@version set per readelf: defined (Ndx != UND), not LOCAL.
# readelf prints a version-definition symbol (name == version, ABS) bare.
readelf_exports() {
	readelf --dyn-syms -W "$1" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && NF >= 8 {print $8}' |
		sed 's/ *([0-9]*)$//' | sort -u
}
soswap_exports() {
	"$SOSWAP" info --json "$1" | jq -r '.[0].exports[] |
		.name + (if .version == null or .version == .name then "" elif .default then "@@" + .version else "@" + .version end)' | sort -u
}
readelf_imports() {
	readelf --dyn-syms -W "$1" | awk '$1 ~ /^[0-9]+:$/ && $7 == "UND" && NF >= 8 {print $8}' | sort -u
}
soswap_imports() {
	"$SOSWAP" info --json "$1" | jq -r '.[0].imports[] | .name + (if .version then "@" + .version else "" end)' | sort -u
}
readelf_dyn() { # readelf_dyn FILE TAG -> values in order
	readelf -dW "$1" | awk -v t="($2)" '$2 == t' | sed -E 's/.*\[(.*)\]$/\1/'
}

check_against_readelf() {
	local f="$1"
	diff <(readelf_exports "$f") <(soswap_exports "$f") || fail "exports differ for $f"
	diff <(readelf_imports "$f") <(soswap_imports "$f") || fail "imports differ for $f"
	diff <(readelf_dyn "$f" NEEDED) <("$SOSWAP" info --json "$f" | jq -r '.[0].needed[]') || fail "needed differ for $f"
	local so; so=$(readelf_dyn "$f" SONAME)
	[ "$("$SOSWAP" info --json "$f" | jq -r '.[0].soname // ""')" = "$so" ] || fail "soname differs for $f"
}

@test "info: real system libraries agree with readelf (exports, imports, needed, soname)" {
	local n=0
	for f in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libz.so.1 \
		 /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libstdc++.so.6; do
		[ -e "$f" ] || continue
		check_against_readelf "$f"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "info: libc exports thousands of versioned symbols" {
	run "$SOSWAP" info --json /lib/x86_64-linux-gnu/libc.so.6
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.[0].exports | length > 2000'
	echo "$output" | jqe '.[0].exports[] | select(.name == "malloc" and .version == "GLIBC_2.2.5" and .default)'
	echo "$output" | jqe '.[0] | .soname == "libc.so.6" and .type == "DYN" and .machine == "x86-64"'
}

@test "info: soname, rpath (DT_RPATH) and runpath (DT_RUNPATH) fixtures" {
	build_lib "$T/libs.so" "$D/libplain.c" -Wl,-soname,libplain.so.1 -Wl,--disable-new-dtags -Wl,-rpath,/opt/a:'$ORIGIN'
	build_lib "$T/libn.so" "$D/libplain.c" -Wl,-rpath,/opt/b
	run "$SOSWAP" info --json "$T/libs.so" "$T/libn.so"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.[0].soname == "libplain.so.1" and .[0].rpath == "/opt/a:$ORIGIN" and .[0].runpath == null'
	echo "$output" | jqe '.[1].soname == null and .[1].runpath == "/opt/b" and .[1].rpath == null'
	check_against_readelf "$T/libs.so"
	check_against_readelf "$T/libn.so"
	run "$SOSWAP" info "$T/libs.so"
	[[ "$output" == *"soname:      libplain.so.1"* ]]
	[[ "$output" == *'rpath:       /opt/a:$ORIGIN'* ]]
}

@test "info: versioned symbols with default and non-default versions" {
	build_lib "$T/libv.so" "$D/libversioned.c" -Wl,--version-script="$D/versioned.map" -Wl,-soname,libv.so.2
	check_against_readelf "$T/libv.so"
	run "$SOSWAP" info --json "$T/libv.so"
	echo "$output" | jqe '.[0].exports[] | select(.name == "compat" and .version == "VERS_1.0" and (.default|not))'
	echo "$output" | jqe '.[0].exports[] | select(.name == "compat" and .version == "VERS_2.0" and .default)'
	echo "$output" | jqe '.[0].version_definitions | map(.name) == ["libv.so.2", "VERS_1.0", "VERS_2.0"]'
	echo "$output" | jqe '.[0].version_definitions[2].parent == "VERS_1.0"'
	build_lib "$T/libp.so" "$D/libplain.c"
	run "$SOSWAP" info --json "$T/libp.so"
	echo "$output" | jqe '.[0].version_needs[] | select(.file == "libc.so.6" and .name == "GLIBC_2.2.5")'
	echo "$output" | jqe '.[0].imports[] | select(.name == "puts" and .version == "GLIBC_2.2.5" and .version_file == "libc.so.6")'
}

@test "info: non-PIC library has TEXTREL; PIC one does not" {
	"$CC" -shared -fno-pic -mcmodel=large -O1 -o "$T/libtr.so" "$D/libtextrel.c"
	readelf -dW "$T/libtr.so" | grep -q TEXTREL
	run "$SOSWAP" info --json "$T/libtr.so"
	echo "$output" | jqe '.[0].textrel == true'
	build_lib "$T/libpic.so" "$D/libtextrel.c"
	run "$SOSWAP" info --json "$T/libpic.so"
	echo "$output" | jqe '.[0].textrel == false'
}

@test "info: PIE and non-PIE executables, interpreter, RELRO, BIND_NOW" {
	build_lib "$T/libplain.so" "$D/libplain.c"
	build_exe "$T/pie" "$D/prog.c" -fPIE -pie -L"$T" -lplain -Wl,-z,relro,-z,now
	build_exe "$T/nopie" "$D/prog.c" -fno-PIE -no-pie -L"$T" -lplain -Wl,-z,norelro
	run "$SOSWAP" info --json "$T/pie" "$T/nopie"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.[0].type == "PIE" and .[0].interpreter == "/lib64/ld-linux-x86-64.so.2"'
	echo "$output" | jqe '.[0].relro == "full" and (.[0].flags | index("BIND_NOW")) and (.[0].flags_1 | index("PIE"))'
	echo "$output" | jqe '.[1].type == "EXEC" and .[1].relro == "none"'
	echo "$output" | jqe '.[1].imports[] | select(.name == "plain_add")'
	check_against_readelf "$T/pie"
	check_against_readelf "$T/nopie"
}

@test "info: bad input gives one-line errors naming the file, exit 1" {
	printf 'not an elf at all' > "$T/text"
	: > "$T/empty"
	head -c 100 /lib/x86_64-linux-gnu/libc.so.6 > "$T/trunc.so"
	mkdir "$T/dir"
	run "$SOSWAP" info "$T/text"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/text: not an ELF file"* ]]
	run "$SOSWAP" info "$T/empty"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/empty"*"empty"* ]]
	run "$SOSWAP" info "$T/trunc.so"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/trunc.so: corrupt ELF file"* ]]
	run "$SOSWAP" info "$T/dir"
	[ "$status" -eq 1 ]; [[ "$output" == *"is a directory"* ]]
	run "$SOSWAP" info /dev/null
	[ "$status" -eq 1 ]; [[ "$output" == *"not a regular file"* ]]
	run "$SOSWAP" info "$T/missing"
	[ "$status" -eq 1 ]; [[ "$output" == *"$T/missing: No such file or directory"* ]]
	mkfifo "$T/fifo"
	run timeout 5 "$SOSWAP" info "$T/fifo"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
}

@test "info: every truncation of a library is rejected or parsed, never a crash" {
	build_lib "$T/libv.so" "$D/libversioned.c" -Wl,--version-script="$D/versioned.map"
	local size; size=$(stat -c %s "$T/libv.so")
	for n in 16 52 64 100 200 500 1000 2000 4000 $((size / 2)) $((size - 1)); do
		head -c "$n" "$T/libv.so" > "$T/cut.so"
		run "$SOSWAP" info --json "$T/cut.so"
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || fail "status $status at $n bytes"
	done
}

@test "info: usage errors exit 2" {
	run "$SOSWAP" info
	[ "$status" -eq 2 ]
	run "$SOSWAP" info --bogus x
	[ "$status" -eq 2 ]
	run "$SOSWAP" info --help
	[ "$status" -eq 0 ]; [[ "$output" == *"Usage: soswap info"* ]]
}
