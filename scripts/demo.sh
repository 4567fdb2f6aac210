#!/bin/bash
# demo.sh - set up, build and run the soswap demo on the built-in example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -shared -fPIC -o "$out/libhello.so.1.0.0" -Wl,-soname,libhello.so.1 examples/hello/libhello.c
build/src/cli/soswap info --symbols "$out/libhello.so.1.0.0"
