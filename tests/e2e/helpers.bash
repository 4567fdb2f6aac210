# helpers.bash - shared set-up for the bats end-to-end tests.
# Load with `load helpers` at the top of a .bats file.
#
#   $SOSWAP        the soswap binary under test
#   $SOSWAP_SRC    source tree (fixtures live in $SOSWAP_SRC/tests/fixtures)
#   $T             a fresh per-test scratch directory (removed afterwards)

: "${SOSWAP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/src/cli/soswap}"
: "${SOSWAP_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${CC:=cc}"
FIX="$SOSWAP_SRC/tests/fixtures"
export LC_ALL=C NO_COLOR=1

setup() {
	T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/soswap-test.XXXXXX")"
	if declare -F setup_extra >/dev/null; then setup_extra; fi
}

teardown() {
	if declare -F teardown_extra >/dev/null; then teardown_extra; fi
	# Kill anything a test left running in the background.
	if [ -n "${BG_PIDS:-}" ]; then kill $BG_PIDS 2>/dev/null || true; wait $BG_PIDS 2>/dev/null || true; fi
	[ -n "${T:-}" ] && rm -rf "$T"
}

# Build a shared library: build_lib OUT SRC [extra cc/ld flags...]
build_lib() {
	local out="$1" src="$2"; shift 2
	"$CC" -shared -fPIC -O1 -o "$out" "$src" "$@"
}

# Build an executable: build_exe OUT SRC [extra flags...]
# build_libfoo_versions V...: $T/new/libfoo.so.1.V.0 for each minor V
# (tests/fixtures/install/libfoo.c returning V + 1; 0 is the plain one),
# with a private state directory and an empty $T/lib to install into.
build_libfoo_versions() {
	export SOSWAP_STATE_DIR="$T/state"
	mkdir -p "$T/lib" "$T/new"
	local v
	for v in "$@"; do
		if [ "$v" = 0 ]; then
			build_lib "$T/new/libfoo.so.1.0.0" "$FIX/install/libfoo.c" -Wl,-soname,libfoo.so.1
		else
			build_lib "$T/new/libfoo.so.1.$v.0" "$FIX/install/libfoo.c" -Wl,-soname,libfoo.so.1 \
				-DFOO_VALUE=$((v + 1)) -DFOO_PAD
		fi
	done
}

build_exe() {
	local out="$1" src="$2"; shift 2
	"$CC" -O1 -o "$out" "$src" "$@"
}

# Start a command in the background and remember its pid in $BG_PID (and in
# BG_PIDS, so teardown kills it).
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
}

# Wait until a file exists (a target writes it once ready): wait_for FILE [SECONDS]
wait_for() {
	local f="$1" n="${2:-10}" i=0
	while [ ! -e "$f" ] && [ $i -lt $((n * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$f" ]
}

# jq-based assertion helper: jqe FILTER < json   (exit 0 if the filter is true)
jqe() { jq -e "$@" >/dev/null; }

# Fail with the output shown.
fail() { echo "$*" >&2; echo "output: $output" >&2; return 1; }
