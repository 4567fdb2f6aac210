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

# best WALL CPU of 3 runs of "$@" (seconds; CPU = user + system of the
# tool and its children), printed as "WALL CPU".
best() {
	local bw=999999 bc=999999 w u sy c
	for _ in 1 2 3; do
		TIMEFORMAT='%R %U %S'
		read -r w u sy < <({ time "$@" >/dev/null 2>&1; } 2>&1)
		c=$(echo "$u + $sy" | bc -l)
		bw=$(echo "if ($w < $bw) $w else $bw" | bc -l)
		bc=$(echo "if ($c < $bc) $c else $bc" | bc -l)
	done
	echo "$bw $bc"
}
run_soswap() { xargs -a "$tmp/files" -d '\n' "$SOSWAP" deps --flat --; }
run_soswap_lt() { xargs -a "$tmp/lt" -d '\n' "$SOSWAP" deps --flat --; }
run_ldd() { while read -r f; do ldd "$f"; done < "$tmp/files"; }
run_libtree() { xargs -a "$tmp/lt" -d '\n' libtree --; }

n=$(wc -l < "$tmp/files"); nl=$(wc -l < "$tmp/lt")
read -r w_s c_s < <(best run_soswap)
read -r w_l c_l < <(best run_ldd)
read -r w_s2 c_s2 < <(best run_soswap_lt)
read -r w_t c_t < <(best run_libtree)
printf 'files: %d ELF in /usr/bin (%d accepted by libtree); best of 3, seconds\n' "$n" "$nl"
printf '%-12s %8s %8s  %s\n' tool wall cpu files
printf '%-12s %8.3f %8.3f  %d\n' soswap "$w_s" "$c_s" "$n" ldd "$w_l" "$c_l" "$n" \
	soswap "$w_s2" "$c_s2" "$nl" libtree "$w_t" "$c_t" "$nl"
ratio() { echo "if ($2 > 0) $1 / $2 else 0" | bc -l; }
printf 'ldd/soswap     : wall %6.1fx  cpu %6.1fx  (target >= 10x)\n' \
	"$(ratio "$w_l" "$w_s")" "$(ratio "$c_l" "$c_s")"
printf 'libtree/soswap : wall %6.2fx  cpu %6.2fx  (target > 1x)\n' \
	"$(ratio "$w_t" "$w_s2")" "$(ratio "$c_t" "$c_s2")"
