#!/bin/bash
# run.sh - run every benchmark in bench/ (each prints its own ratios).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
rc=0
for b in bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $b"
	bash "$b" || rc=1
done
exit $rc
