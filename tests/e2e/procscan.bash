# procscan.bash - shared set-up for who.bats and stale.bats: a fixture
# library and holder processes that map it.  Load after helpers.

P="$FIX/procscan"

# build_fix [DIR] [cc flags...]: DIR/libfix.so.1.0 with soname links
# libfix.so.1 and libfix.so pointing at it (DIR defaults to $T/lib).
build_fix() {
	local d="${1:-$T/lib}"; shift || true
	mkdir -p "$d"
	build_lib "$d/libfix.so.1.0" "$P/libfix.c" -Wl,-soname,libfix.so.1 "$@"
	ln -sf libfix.so.1.0 "$d/libfix.so.1"
	ln -sf libfix.so.1 "$d/libfix.so"
}

# $T/holder dlopens what it is given; $T/holder-linked also links libfix.
build_holders() {
	build_exe "$T/holder" "$P/holder.c" -ldl
	build_exe "$T/holder-linked" "$P/holder.c" -DLINKED -L"$T/lib" -lfix -Wl,-rpath,"$T/lib" -ldl
}

# start_holder EXE [ARGS...]: start a holder, wait until it has mapped
# everything; its pid is in $BG_PID.
start_holder() {
	local exe="$1"; shift
	local ready="$T/ready.$RANDOM.$RANDOM"
	bg "$exe" "$ready" "$@" 3>&-
	wait_for "$ready" 30 || fail "holder $exe $* did not get ready"
}

# Sorted pids of a JSON group array: jpids KEY INDEX < json
jpids() { jq -r ".$1[$2].processes[].pid" | sort -n; }
