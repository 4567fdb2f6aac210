#!/usr/bin/env bats
# examples/ansible/upgrade-library.yml, run for real with ansible-playbook
# over a local "fleet": three inventory hosts (canary, web1, web2) on the
# local connection, each with its own library directory holding
# libgreet.so.1 v1 (examples/libgreet).  The playbook must upgrade the
# canary first, then the rest; and when the canary fails its health check,
# roll it back and leave the other hosts untouched.
load helpers

PLAYBOOK="$SOSWAP_SRC/examples/ansible/upgrade-library.yml"
HOSTS="canary web1 web2"

setup_extra() {
	# ansible must not read a configuration or write into $HOME.
	printf "[defaults]\n" >"$T/ansible.cfg"
	export ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
	export ANSIBLE_HOME="$T/ansible-home" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
	export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_HOST_KEY_CHECKING=0
}

# Skip while `soswap upgrade` is a placeholder: the playbook drives it.
need_upgrade() {
	if "$SOSWAP" upgrade --help 2>&1 | grep -q "not implemented"; then
		skip "soswap upgrade is not implemented yet (the playbook runs it)"
	fi
}

# fleet [BASE]: libgreet v1 installed in BASE/HOST/lib for every host, the
# new builds in BASE/new (v2, 1.1.0) and BASE/bad (1.2.0: same ABI, wrong
# answers), an
# inventory, and a health check that records the order of the hosts.
fleet() {
	local base=${1:-$T} ex="$SOSWAP_SRC/examples/libgreet" h
	F=$base
	mkdir -p "$F/new" "$F/bad"
	for h in $HOSTS; do
		mkdir -p "$F/$h/lib"
		build_lib "$F/$h/lib/libgreet.so.1.0.0" "$ex/greet-v1.c" -Wl,-soname,libgreet.so.1
		ln -s libgreet.so.1.0.0 "$F/$h/lib/libgreet.so.1"
	done
	build_lib "$F/new/libgreet.so.1.1.0" "$ex/greet-v2.c" -Wl,-soname,libgreet.so.1
	build_lib "$F/bad/libgreet.so.1.2.0" "$FIX/ansible/greet-broken.c" -Wl,-soname,libgreet.so.1
	# The health check loads the library now behind the soname and asks it
	# for a greeting.
	cat >"$F/check.sh" <<'EOF'
#!/bin/sh
# check.sh HOST LIBDIR
echo "$1" >>"$(dirname "$0")/order"
exec python3 - "$2/libgreet.so.1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
buf = ctypes.create_string_buffer(128)
lib.greet(b"fleet", buf, ctypes.c_size_t(128))
answer = buf.value.decode()
print(answer)
sys.exit(0 if answer == "greet v2: Hello, Fleet!" else 1)
PY
EOF
	chmod +x "$F/check.sh"
	{
		echo "[fleet]"
		for h in $HOSTS; do
			echo "$h soswap_dir=$F/$h/lib soswap_stage_dir=$F/$h/stage"
		done
		echo "[fleet:vars]"
		echo "ansible_connection=local"
		echo "soswap_bin=$SOSWAP"
		echo "soswap_new_lib_src=$F/new/libgreet.so.1.1.0"
		echo "soswap_health_cmd='$F/check.sh {{ inventory_hostname }} {{ soswap_dir }}'"
	} >"$F/inventory"
}

# The real name the soname link of a host points to.
on_host() { readlink "$F/$1/lib/libgreet.so.1"; }

playbook() {
	# ansible insists on a UTF-8 locale; the tests otherwise run in C.
	LC_ALL=C.UTF-8 ansible-playbook -c local -i "$F/inventory" "$PLAYBOOK" "$@"
}

@test "ansible: the playbook parses; the canary is a batch of its own" {
	fleet
	run playbook --syntax-check
	[ "$status" -eq 0 ] || fail "syntax"
	run playbook --list-hosts
	[ "$status" -eq 0 ]
	[[ "$output" == *"hosts (3):"* ]]
	run playbook --list-tasks
	[ "$status" -eq 0 ]
	for t in "Copy the new library" "soswap upgrade" "Health check"; do
		[[ "$output" == *"$t"* ]] || fail "no task '$t'"
	done
	# --list-tasks does not show rescue sections.
	grep -q -- '- name: Roll back {{ soswap_soname }}' "$PLAYBOOK"
	grep -q -- '--rollback' "$PLAYBOOK"
	# serial [1, 100%]: a first batch with one host, then the others.
	grep -A3 '^  serial:' "$PLAYBOOK" | grep -q -- '- 1$'
	grep -q '^  max_fail_percentage: 0$' "$PLAYBOOK"
}

@test "ansible: a good release rolls out canary first, then every other host" {
	need_upgrade
	fleet
	run playbook -e soswap_live=false
	[ "$status" -eq 0 ] || fail "playbook failed"
	for h in $HOSTS; do
		[ "$(on_host $h)" = libgreet.so.1.1.0 ] || fail "$h not upgraded"
		[ -f "$F/$h/lib/libgreet.so.1.1.0" ]
	done
	[ "$(head -n 1 "$F/order")" = canary ]
	[ "$(sort "$F/order" | tr '\n' ' ')" = "canary web1 web2 " ]
	for h in $HOSTS; do
		[[ "$output" =~ $h\ +:\ ok=[0-9]+\ +changed=[0-9]+\ +unreachable=0\ +failed=0\ +skipped=0\ +rescued=0 ]] ||
			fail "recap of $h"
	done
	[[ "$output" == *"TASK [soswap upgrade libgreet.so.1]"*"changed: [canary]"*"PLAY ["*"changed: [web"* ]] ||
		fail "canary not alone in the first batch"
}

@test "ansible: a failed canary is rolled back and no other host is touched" {
	need_upgrade
	fleet
	run playbook -e soswap_live=false -e soswap_new_lib_src="$F/bad/libgreet.so.1.2.0"
	[ "$status" -ne 0 ] || fail "playbook succeeded with a broken release"
	[[ "$output" == *"Roll back libgreet.so.1"* ]]
	[[ "$output" == *"upgrade of libgreet.so.1 failed on canary"*"rolled back, rollout stopped"* ]]
	# The canary ran the health check, failed it, and is back on v1.
	[ "$(cat "$F/order")" = canary ]
	[ "$(on_host canary)" = libgreet.so.1.0.0 ]
	python3 -c 'import ctypes, sys; b = ctypes.create_string_buffer(64); ctypes.CDLL(sys.argv[1]).greet(b"x", b, 64); sys.exit(b.value != b"greet v1: hello x")' \
		"$F/canary/lib/libgreet.so.1"
	# web1 and web2 were never touched.
	for h in web1 web2; do
		[ "$(on_host $h)" = libgreet.so.1.0.0 ]
		[ ! -e "$F/$h/lib/libgreet.so.1.1.0" ] && [ ! -e "$F/$h/stage" ]
	done
	[[ "$output" != *"[web1]"* && "$output" != *"[web2]"* ]] || fail "a task ran on web1/web2"
	[[ "$output" =~ canary\ +:\ ok=[0-9]+\ +changed=[0-9]+\ +unreachable=0\ +failed=1\ +skipped=0\ +rescued=1 ]] ||
		fail "canary recap"
}

@test "ansible: --live moves a running server on the canary, and a rollback moves it back" {
	need_upgrade
	# soswap loads a new library only from a path nobody else can write.
	if [ "$(id -u)" -eq 0 ] && [ -w /run ]; then base=$(mktemp -d /run/soswap-ansible.XXXXXX)
	else base=$T/fleet; mkdir -p "$base"; fi
	chmod 755 "$base"
	LIVE_BASE=$base
	fleet "$base"
	ex="$SOSWAP_SRC/examples"
	"$CC" -O1 -pthread -I"$ex/libgreet" -o "$F/greetd" "$ex/server/greetd.c" \
		"$F/canary/lib/libgreet.so.1" -Wl,-rpath,"$F/canary/lib"
	"$CC" -O1 -pthread -o "$F/loadgen" "$ex/server/loadgen.c"
	bg "$F/greetd" --threads 4 --ready-file "$F/port"
	wait_for "$F/port"
	ask() { "$F/loadgen" --port "$(cat "$F/port")" --count 1 --name fleet --json | jq -r .last_answer; }
	[ "$(ask)" = "greet v1: hello fleet" ]

	run playbook -e soswap_live=true --limit canary
	[ "$status" -eq 0 ] || fail "live rollout failed"
	[ "$(ask)" = "greet v2: Hello, Fleet!" ] || fail "server not on v2"

	# A broken release: swapped in live, caught, rolled back — on disk and
	# in the running server.
	run playbook -e soswap_live=true --limit canary -e soswap_new_lib_src="$F/bad/libgreet.so.1.2.0"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rolled back, rollout stopped"* ]]
	kill -0 "$BG_PID"
	[ "$(ask)" = "greet v2: Hello, Fleet!" ] || fail "server not back on the previous release"
	[ "$(on_host canary)" = libgreet.so.1.1.0 ]
}

teardown_extra() {
	if [ -n "${LIVE_BASE:-}" ]; then
		kill $BG_PIDS 2>/dev/null || true
		wait $BG_PIDS 2>/dev/null || true
		BG_PIDS=
		rm -rf "$LIVE_BASE"
	fi
}
