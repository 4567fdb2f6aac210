#!/bin/bash
# deps.sh - resolve every ELF file in /usr/bin with soswap, ldd and
# Debian's libtree side by side in one run; print each tool's wall time and
# the ratios.  Targets: soswap >= 10x faster than ldd, faster than libtree.
# Each tool gets the same file list (regular ELF files; for libtree only
# the ones it accepts, since it stops at the first file it cannot handle).
set -uo pipefail
cd "$(dirname "$0")/.."
SOSWAP=${SOSWAP:-build/src/cli/soswap}
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in /usr/bin/*; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	[ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done > "$tmp/files"
# libtree refuses static and foreign files and then stops: keep the ones
# it takes.
while read -r f; do libtree "$f" >/dev/null 2>&1 && echo "$f"; done < "$tmp/files" > "$tmp/lt"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
best() { # best of 3 runs of "$@" (wall seconds)
	local b=999999 s e d
	for _ in 1 2 3; do
		s=$(now); "$@" >/dev/null 2>&1; e=$(now)
		d=$(secs "$s" "$e"); b=$(echo "if ($d < $b) $d else $b" | bc -l)
	done
	echo "$b"
}
run_soswap() { xargs -a "$tmp/files" -d '\n' "$SOSWAP" deps --flat --; }
run_soswap_lt() { xargs -a "$tmp/lt" -d '\n' "$SOSWAP" deps --flat --; }
run_ldd() { while read -r f; do ldd "$f"; done < "$tmp/files"; }
run_libtree() { xargs -a "$tmp/lt" -d '\n' libtree --; }

n=$(wc -l < "$tmp/files"); nl=$(wc -l < "$tmp/lt")
t_s=$(best run_soswap)
t_l=$(best run_ldd)
t_s2=$(best run_soswap_lt)
t_t=$(best run_libtree)
printf 'files: %d ELF in /usr/bin (%d accepted by libtree)\n' "$n" "$nl"
printf 'soswap deps : %8.3f s  (%d files)\n' "$t_s" "$n"
printf 'ldd         : %8.3f s  (%d files)\n' "$t_l" "$n"
printf 'soswap deps : %8.3f s  (%d files)\n' "$t_s2" "$nl"
printf 'libtree     : %8.3f s  (%d files)\n' "$t_t" "$nl"
printf 'ratio ldd/soswap     : %6.1fx (target >= 10x)\n' "$(echo "$t_l / $t_s" | bc -l)"
printf 'ratio libtree/soswap : %6.2fx (target > 1x)\n' "$(echo "$t_t / $t_s2" | bc -l)"
