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
maps)
	# Real maps files of this machine, plus hand-written hostile lines.
	cat /proc/self/maps > "$dir/self.maps"
	cat /proc/1/maps > "$dir/init.maps" 2>/dev/null || true
	printf '%s\n' '1000-2000 r-xp 00001000 08:02 77   /opt/a b/libz.so.1 (deleted)' \
		'7f0000000000-7f0000001000 rw-s 00000000 00:01 2049 /memfd:jit (deleted)' \
		'3000-4000 rw-p 00000000 00:00 0 ' \
		'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]' > "$dir/hostile.maps"
	;;
ldcache)
	cp /etc/ld.so.cache "$dir/real.cache"
	# A small cache with glibc-hwcaps entries, written by ldconfig itself.
	w=$(mktemp -d)
	mkdir -p "$w/lib/glibc-hwcaps/x86-64-v2" "$w/lib/glibc-hwcaps/x86-64-v3"
	$cc -shared -fPIC -o "$w/lib/libplain.so.1" "$fix/info/libplain.c" -Wl,-soname,libplain.so.1
	cp "$w/lib/libplain.so.1" "$w/lib/glibc-hwcaps/x86-64-v2/"
	cp "$w/lib/libplain.so.1" "$w/lib/glibc-hwcaps/x86-64-v3/"
	echo "$w/lib" > "$w/ld.so.conf"
	ldconfig -C "$dir/small.cache" -f "$w/ld.so.conf"
	rm -rf "$w"
	;;
journal)
	printf 'soswap-journal 1 42 123456\nbegin 1\nold /lib/libcounter.so.1\nnew /run/soswap/lib/0123-libcounter.so\nw 7f0011223344 f30f1efa55 e9fbffffff\nw 404018 1010400000000000 2010700000000000\nready 1\ncommit 1\nbegin 2\nw 7f0011223344 e9fbffffff f30f1efa55\nready 2\nrollback 2\n' > "$dir/two-txns"
	printf 'soswap-journal 1 7 1\nbegin 1\nw 10 ff25000000000000efbeadde00000000 0102030405060708090a0b0c0d0e\n' > "$dir/cut"
	;;
abidiff)
	# Small libraries with DWARF: structs, typedefs, bit-fields, C++.
	for f in nested.old layout.old callback.old padding.new; do
		$cc -g -O1 -shared -fPIC -o "$dir/$f.so" "$fix/diff/$f.c"
	done
	${CXX:-g++} -g -O1 -shared -fPIC -o "$dir/cxx.so" "$fix/diff/cxx.old.cc" 2>/dev/null || true
	;;
state)
	printf 'soswap-state 1\nlayout symlink\ncurrent libfoo.so.1.2.0\nprevious libfoo.so.1.0.0\nprevious libfoo.so.1.1.0\n' > "$dir/symlink.state"
	printf 'soswap-state 1\nlayout file\ncurrent libssl.so.3\nprevious saved-1700000000-42-libssl.so.3\n' > "$dir/file.state"
	printf 'soswap-state 1\nprevious ../x\ncurrent ..\nprevious a\0b\n' > "$dir/hostile.state"
	;;
*)
	# Other targets add their seeds here; none is also fine.
	;;
esac
