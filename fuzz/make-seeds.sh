#!/bin/bash
# make-seeds.sh TARGET DIR - write the seed corpus of fuzz target TARGET
# (fuzz_TARGET) into DIR, built from the test fixtures and real files.
set -eu
target=$1 dir=$2
src=$(cd "$(dirname "$0")/.." && pwd)
fix=$src/tests/fixtures
cc=${CC:-cc}
mkdir -p "$dir"
case $target in
elf)
	$cc -shared -fPIC -o "$dir/libplain.so" "$fix/info/libplain.c" -Wl,-soname,libplain.so.1 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN'
	$cc -shared -fPIC -o "$dir/libversioned.so" "$fix/info/libversioned.c" -Wl,--version-script="$fix/info/versioned.map"
	$cc -shared -fno-pic -mcmodel=large -o "$dir/libtextrel.so" "$fix/info/libtextrel.c"
	$cc -o "$dir/prog" "$fix/info/prog.c" "$dir/libplain.so" -Wl,-z,now
	$cc -m32 -shared -fPIC -o "$dir/lib32.so" "$fix/info/libplain.c" 2>/dev/null || true
	cp /lib/x86_64-linux-gnu/libz.so.1 "$dir/libz.so"
	;;
*)
	# Other targets add their seeds here; none is also fine.
	;;
esac
