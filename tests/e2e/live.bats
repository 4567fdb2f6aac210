#!/usr/bin/env bats
# soswap live: swap libcounter v1 -> v2 inside real running targets that
# call it from many threads and check every result (tests/fixtures/live).
load helpers

L="$FIX/live"

setup_file() {
	export B="$BATS_FILE_TMPDIR/b"
	mkdir -p "$B/v1" "$B/v2" "$B/lib" "$B/bad"
	local so="-shared -fPIC -O1 -Wl,-soname,libcounter.so.1"
	$CC $so -DVERSION=1 -o "$B/v1/libcounter.so.1" "$L/counter.c"
	$CC $so -DVERSION=2 -o "$B/v2/libcounter.so.1" "$L/counter.c"
	$CC $so -DVERSION=2 -DDROP_COMPUTE -o "$B/bad/missing.so" "$L/counter.c"
	$CC $so -DVERSION=2 -DTABLE_SIZE=8 -o "$B/bad/bigtable.so" "$L/counter.c"
	$CC $so -DVERSION=2 -DTABLE_SIZE=8 -DMIGRATE=1 -o "$B/v2/migrate-ok.so" "$L/counter.c"
	$CC $so -DVERSION=2 -DTABLE_SIZE=8 -DMIGRATE=2 -o "$B/v2/migrate-no.so" "$L/counter.c"
	$CC -shared -fPIC -O1 -o "$B/lib/libuser.so" "$L/user.c" "$B/v1/libcounter.so.1"
	local link=("$B/v1/libcounter.so.1" "$B/lib/libuser.so" -pthread -Wl,-rpath,"$B/v1:$B/lib")
	# PIE with lazy binding; non-PIE with BIND_NOW and full RELRO
	$CC -O1 -fPIE -pie -Wl,-z,lazy -o "$B/target-pie-lazy" "$L/target.c" "${link[@]}"
	$CC -O1 -fno-pie -no-pie -Wl,-z,now,-z,relro -o "$B/target-nopie-now" "$L/target.c" "${link[@]}"
	$CC -O1 -DPLUGIN -o "$B/target-plugin" "$L/target.c" -pthread -ldl
}

setup_extra() {
	export SOSWAP_RUN_DIR="$T/run"
	STATUS="$T/status"
}

# start_target EXE [NTHREADS] [args...]: run it, wait until it reports
start_target() {
	local exe="$1" n="${2:-8}"; shift 2 || shift $#
	bg "$exe" "$STATUS" "$n" "$@"
	TPID=$BG_PID
	wait_for "$STATUS" 20 || fail "target did not start"
}

# field NAME: the target's latest value of NAME
field() { sed -n "s/.* $1=\([0-9-]*\).*/\1/p" "$STATUS"; }

# wait_version V KINDS...: every kind of caller answered by version V
wait_version() {
	local v="$1" i k ok; shift
	for i in $(seq 600); do
		ok=1
		for k in "$@"; do [ "$(field "$k")" = "$v" ] || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.05
	done
	fail "not every caller reached v$v: $(cat "$STATUS")"
}

ALL_KINDS="direct fp user tiny sleep read epoll"

# healthy: alive, still calling, no bad result, no EINTR leaked, state kept
healthy() {
	kill -0 "$TPID" || fail "target died"
	local c1 c2 i
	c1=$(field calls)
	for i in $(seq 400); do
		c2=$(field calls)
		[ "$c2" -gt "$c1" ] && break
		sleep 0.05
	done
	[ "$c2" -gt "$c1" ] || fail "target stopped calling"
	[ "$(field bad)" = 0 ] || fail "bad results: $(cat "$STATUS")"
	[ "$(field eintr)" = 0 ] || fail "EINTR leaked: $(cat "$STATUS")"
	[ "$(field back)" = 0 ] || fail "shared state went backwards: $(cat "$STATUS")"
}

@test "live: --help and usage errors" {
	run "$SOSWAP" live --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: soswap live"* ]]
	run "$SOSWAP" live OLD NEW
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid PID is required"* ]]
	run "$SOSWAP" live --pid 1 OLD
	[ "$status" -eq 2 ]
	run "$SOSWAP" live --pid abc OLD NEW
	[ "$status" -eq 2 ]
	run "$SOSWAP" live --rollback --pid 1 OLD
	[ "$status" -eq 2 ]
}

@test "live: 8 threads, PIE, lazy binding: every caller moves to v2, no call fails" {
	start_target "$B/target-pie-lazy" 8
	wait_version 1 $ALL_KINDS
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	[[ "${lines[0]}" == "swapped pid $TPID: $B/v1/libcounter.so.1 -> $SOSWAP_RUN_DIR/lib/"*"-libcounter.so.1" ]]
	[[ "$output" == *"counter_zero: too small for an entry jump"* ]]
	[[ "$output" == *"counter_spin: a branch targets its first bytes"* ]]
	wait_version 2 $ALL_KINDS
	healthy
	# the copy NEW was loaded from is in the target, the original stays
	grep -q "$SOSWAP_RUN_DIR/lib/.*-libcounter.so.1" /proc/$TPID/maps
	grep -q "$B/v1/libcounter.so.1" /proc/$TPID/maps
}

@test "live: --json report, and --rollback returns to v1" {
	start_target "$B/target-pie-lazy" 8
	run "$SOSWAP" live --json --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	echo "$output" | jqe '.operation == "swap" and .dry_run == false and .reused == false'
	echo "$output" | jqe '.entry_jumps == 4 and .got_slots >= 3 and .modules_patched >= 3'
	echo "$output" | jqe '[.modules[].name] | any(endswith("libuser.so"))'
	echo "$output" | jqe '[.functions_skipped[].name] | sort == ["counter_spin", "counter_zero"]'
	echo "$output" | jqe '.data_shared == 2 and .abi == "same"'
	echo "$output" | jqe '.times_ns.pause > 0 and .times_ns.pause >= .times_ns.patch_window and .times_ns.total >= .times_ns.pause'
	local journal; journal=$(echo "$output" | jq -r .journal)
	[ -f "$journal" ]
	grep -q "^commit 1$" "$journal"
	wait_version 2 $ALL_KINDS

	run "$SOSWAP" live --rollback --json --pid "$TPID"
	[ "$status" -eq 0 ] || fail "rollback failed"
	echo "$output" | jqe '.operation == "rollback" and .entry_jumps == 4 and .got_slots >= 3'
	grep -q "^rollback 1$" "$journal"
	wait_version 1 $ALL_KINDS
	healthy
	# nothing left to roll back
	run "$SOSWAP" live --rollback --pid "$TPID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no swap left to roll back"* ]]
}

@test "live: 100 swaps v1 -> v2 -> v1 ... leave the target healthy, mappings bounded" {
	start_target "$B/target-pie-lazy" 4
	local before after i new
	before=$(wc -l < /proc/$TPID/maps)
	for i in $(seq 100); do
		if [ $((i % 2)) = 1 ]; then new="$B/v2/libcounter.so.1"; else new="$B/v1/libcounter.so.1"; fi
		run "$SOSWAP" live --json --pid "$TPID" libcounter.so.1 "$new"
		[ "$status" -eq 0 ] || fail "swap $i failed"
		# from the third swap on, both versions are loaded: nothing new is mapped
		[ "$i" -lt 2 ] || echo "$output" | jqe '.reused == true' || fail "swap $i loaded a copy again"
	done
	wait_version 1 $ALL_KINDS
	healthy
	after=$(wc -l < /proc/$TPID/maps)
	# v2's copy is the only addition: one object's mappings (<= 6 lines)
	[ $((after - before)) -le 6 ] || fail "maps grew from $before to $after lines"
	[ "$(grep -c 'libcounter.so.1' /proc/$TPID/maps)" -le 10 ]
}

@test "live: non-PIE executable with BIND_NOW and full RELRO" {
	readelf -d "$B/target-nopie-now" | grep -q BIND_NOW
	readelf -lW "$B/target-nopie-now" | grep -q GNU_RELRO
	start_target "$B/target-nopie-now" 8
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	wait_version 2 $ALL_KINDS
	healthy
	run "$SOSWAP" live --rollback --pid "$TPID"
	[ "$status" -eq 0 ]
	wait_version 1 $ALL_KINDS
	healthy
}

@test "live: a plugin dlopen()ed RTLD_LOCAL keeps one counter_total instance" {
	start_target "$B/target-plugin" 8 "$B/v1/libcounter.so.1"
	local t1; t1=$(field total)
	run "$SOSWAP" live --json --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	echo "$output" | jqe '.data_shared == 2'
	wait_version 2 fp
	healthy
	# v2 counts on in v1's instance: the total kept growing from t1
	[ "$(field total)" -gt "$t1" ]
}

@test "live: OLD mapped from a deleted file (replaced as apt does)" {
	mkdir -p "$T/lib"
	cp "$B/v1/libcounter.so.1" "$T/lib/libcounter.so.1"
	$CC -O1 -o "$T/target" "$L/target.c" "$T/lib/libcounter.so.1" "$B/lib/libuser.so" \
		-pthread -Wl,-rpath,"$T/lib:$B/lib"
	start_target "$T/target" 8
	cp "$B/v2/libcounter.so.1" "$T/lib/.new" && mv "$T/lib/.new" "$T/lib/libcounter.so.1"
	grep -q "libcounter.so.1 (deleted)" /proc/$TPID/maps
	run "$SOSWAP" live --json --pid "$TPID" libcounter.so.1 "$T/lib/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	echo "$output" | jqe '.warnings | any(test("deleted"))'
	wait_version 2 $ALL_KINDS
	healthy
}

@test "live: --no-entry-jumps moves GOT callers only; stored function pointers stay on v1" {
	start_target "$B/target-pie-lazy" 6
	run "$SOSWAP" live --json --no-entry-jumps --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ] || fail "swap failed"
	echo "$output" | jqe '.entry_jumps == 0 and .got_slots >= 3'
	wait_version 2 direct user tiny sleep read epoll
	sleep 0.3
	[ "$(field fp)" = 1 ] || fail "the stored pointer reached v2 without an entry jump"
	healthy
}

@test "live: --dry-run plans without touching the target" {
	start_target "$B/target-pie-lazy" 8
	run "$SOSWAP" live --dry-run --json --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.dry_run == true and .entry_jumps == 4 and .journal == null'
	! grep -q "$SOSWAP_RUN_DIR" /proc/$TPID/maps || fail "dry run loaded NEW"
	[ "$(grep TracerPid /proc/$TPID/status | awk '{print $2}')" = 0 ]
	sleep 0.2
	[ "$(field v2)" = 0 ]
}

@test "live: refuses NEW writable by others, and a writable directory" {
	start_target "$B/target-pie-lazy" 2
	mkdir -p "$T/w"
	cp "$B/v2/libcounter.so.1" "$T/w/new.so"
	chmod 666 "$T/w/new.so"
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$T/w/new.so"
	[ "$status" -eq 1 ]
	[[ "$output" == "soswap live: $T/w/new.so: writable by others"* ]]
	chmod 644 "$T/w/new.so"
	chmod 777 "$T/w"
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$T/w/new.so"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/w: writable by others"* ]]
	healthy
	[ "$(field v2)" = 0 ]
}

@test "live: no such pid, OLD not mapped, NEW missing symbols" {
	run "$SOSWAP" live --pid 999999999 libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pid 999999999: no such process"* ]]
	start_target "$B/target-pie-lazy" 2
	run "$SOSWAP" live --pid "$TPID" libnothere.so.3 "$B/v2/libcounter.so.1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"libnothere.so.3: not mapped in pid $TPID"* ]]
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/bad/missing.so"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.so: lacks 1 symbol the target uses from OLD: counter_compute"* ]]
	# refused before anything was loaded
	! grep -q missing.so /proc/$TPID/maps || fail "refused NEW was loaded"
	healthy
}

@test "live: a changed object is refused, unless NEW's soswap_migrate accepts it" {
	start_target "$B/target-pie-lazy" 4
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/bad/bigtable.so"
	[ "$status" -eq 1 ]
	[[ "$output" == *"object counter_table changed size or type (16 -> 32 bytes) and NEW exports no soswap_migrate hook"* ]]
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/migrate-no.so"
	[ "$status" -eq 1 ]
	[[ "$output" == *"soswap_migrate() returned 1: swap aborted, nothing changed"* ]]
	sleep 0.2
	[ "$(field v2)" = 0 ] || fail "v2 answered after an aborted swap"
	healthy
	# the aborted swap left nothing to roll back
	run "$SOSWAP" live --rollback --pid "$TPID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no swap left to roll back"* ]]
	run "$SOSWAP" live --json --pid "$TPID" libcounter.so.1 "$B/v2/migrate-ok.so"
	[ "$status" -eq 0 ] || fail "swap failed"
	echo "$output" | jqe '.migrate_called == true and .data_migrated == 1'
	wait_version 2 $ALL_KINDS
	healthy
}

@test "live: NEW of another class or machine" {
	start_target "$B/target-pie-lazy" 2
	printf 'int counter_compute(int x) { return x; }\n' > "$T/m32.c"
	if $CC -m32 -fPIC -c -o "$T/m32.o" "$T/m32.c" 2>/dev/null &&
	   ld -m elf_i386 -shared -o "$T/other.so" "$T/m32.o" 2>/dev/null; then
		want="ELF32 i386, but the target is ELF64 x86-64"
	else	# no 32-bit toolchain: the same library claiming to be AArch64
		cp "$B/v2/libcounter.so.1" "$T/other.so"
		printf '\xb7\x00' | dd of="$T/other.so" bs=1 seek=18 conv=notrunc 2>/dev/null
		want="AArch64, but the target is ELF64 x86-64"
	fi
	run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$T/other.so"
	[ "$status" -eq 1 ]
	[[ "$output" == *"other.so: "*"$want"* ]] || fail "want: $want"
	healthy
}

@test "live: no permission (unprivileged user against another user's process)" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	start_target "$B/target-pie-lazy" 2
	chmod 755 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups env SOSWAP_RUN_DIR="$T/nobody" \
		"$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pid $TPID: "*"permission denied"* || "$output" == *"ptrace_scope"* ]] ||
		fail "no clear reason"
	healthy
}

@test "live: target killed mid-swap gives a clear error" {
	start_target "$B/target-pie-lazy" 8
	SOSWAP_FAULT=kill-target run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 1 ]
	[[ "$output" == "soswap live: pid $TPID: "* ]] || fail "unclear error"
	[[ "$output" == *"no such process"* || "$output" == *"exited"* ]] || fail "unclear error"
	local i
	for i in $(seq 100); do kill -0 "$TPID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$TPID" 2>/dev/null || fail "target still alive"
}

@test "live: soswap SIGKILLed mid-swap: the target runs on, --rollback restores v1" {
	start_target "$B/target-pie-lazy" 8
	SOSWAP_FAULT=kill-mid-write run "$SOSWAP" live --pid "$TPID" libcounter.so.1 "$B/v2/libcounter.so.1"
	[ "$status" -eq 137 ]
	local journal; journal=$(ls "$SOSWAP_RUN_DIR"/journal/"$TPID"-*)
	grep -q "^ready 1$" "$journal"
	! grep -q "^commit" "$journal" || fail "journal says committed"
	# the kernel detached the dead tracer: threads run again
	healthy
	[ "$(grep TracerPid /proc/$TPID/status | awk '{print $2}')" = 0 ]
	run "$SOSWAP" live --rollback --pid "$TPID"
	[ "$status" -eq 0 ] || fail "rollback failed"
	wait_version 1 $ALL_KINDS
	healthy
	grep -q "^rollback 1$" "$journal"
}
