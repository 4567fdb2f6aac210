#!/bin/bash
# ldd-agreement.sh - compare `soswap deps --flat` with ldd over every regular
# ELF file (symlinks skipped, no recursion) in /usr/bin, /usr/sbin and
# /usr/lib/x86_64-linux-gnu that ldd can handle: the set of `name => path`
# pairs (and `name => not found`) of each file must be the same.  Load
# addresses, linux-vdso and the interpreter line are ignored.
# Prints "checked N files, M mismatches" and exits 1 when M > 0.
# Usage: ldd-agreement.sh [SOSWAP] [DIR...]
set -uo pipefail
SOSWAP=${1:-${SOSWAP:-build/src/cli/soswap}}
shift || true
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(/usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu)
export LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Regular ELF files only.
for d in "${dirs[@]}"; do
	for f in "$d"/*; do
		[ -f "$f" ] && [ ! -L "$f" ] || continue
		[ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
	done
done > "$tmp/files"

# Normalise one ldd-style listing (stdin) into sorted pair lines.
norm() {
	sed -E 's/ \(0x[0-9a-f]+\)$//; s/^[[:space:]]+//' |
		grep -v -e '^linux-vdso\.so' -e '^/lib64/ld-linux-x86-64\.so\.2$' -e '^$' | sort -u
}

# ldd, two at a time, each file's result in its own file (no interleaving);
# a file ldd cannot handle is left out.
ldd_one() {
	local f=$1 out res
	out=$(timeout 20 ldd "$f" 2>/dev/null) || exit 0
	case $out in *"not a dynamic executable"*|*"statically linked"*) exit 0 ;; esac
	res=$(mktemp -p "$LDD_OUT")
	{ printf '%s\n' "$out" | norm | sed "s|^|$f\t|"; printf '%s\t@checked\n' "$f"; } > "$res"
}
export -f ldd_one norm
export LDD_OUT="$tmp/ldd.d"
mkdir -p "$LDD_OUT"
xargs -a "$tmp/files" -d '\n' -P 2 -n 1 bash -c 'ldd_one "$0"'
find "$LDD_OUT" -type f -exec cat {} + > "$tmp/ldd.raw"
grep -P '\t@checked$' "$tmp/ldd.raw" | cut -f1 | sort -u > "$tmp/checked"
grep -vP '\t@checked$' "$tmp/ldd.raw" | sort -u > "$tmp/ldd"

# soswap, all files in one run.
xargs -a "$tmp/checked" -d '\n' "$SOSWAP" deps --flat -- 2>"$tmp/soswap.err" |
	awk -v list="$tmp/checked" '
		BEGIN { while ((getline l < list) > 0) want[l ":"] = l }
		/^[^\t]/ && ($0 in want) { cur = want[$0]; next }
		{
			sub(/^[ \t]+/, "")
			if ($0 == "" || $0 ~ /^linux-vdso\.so/ || $0 == "/lib64/ld-linux-x86-64.so.2") next
			print cur "\t" $0
		}' | sort -u > "$tmp/soswap"
echo "pairs: ldd $(wc -l < "$tmp/ldd"), soswap $(wc -l < "$tmp/soswap")"

diff "$tmp/ldd" "$tmp/soswap" > "$tmp/diff"
cut -f1 "$tmp/diff" | grep -E '^[<>] ' | sed -E 's/^[<>] //' | sort -u > "$tmp/bad"
n=$(wc -l < "$tmp/checked")
m=$(wc -l < "$tmp/bad")
if [ "$m" -gt 0 ]; then
	echo "mismatches (< ldd, > soswap):"
	grep -E '^[<>] ' "$tmp/diff" | head -n 60
fi
if [ -s "$tmp/soswap.err" ]; then
	echo "soswap errors:"; head -n 20 "$tmp/soswap.err"
fi
echo "checked $n files, $m mismatches"
[ "$m" -eq 0 ]
