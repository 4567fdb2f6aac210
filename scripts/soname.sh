#!/bin/sh
# soname.sh LIBDIR NAME - print the SONAME of LIBDIR/NAME.so (for the
# libraries soswap loads with dlopen by that name); fails when none.
set -eu
s=$(readelf -d "$1/$2.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$s" ] || { echo "soname.sh: $1/$2.so has no SONAME" >&2; exit 1; }
echo "$s"
