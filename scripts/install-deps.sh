#!/bin/sh
# install-deps.sh - install the Debian 12 packages soswap needs to build,
# test, fuzz and benchmark.  Runs apt-get only for what is missing.
set -eu
PKGS="build-essential meson ninja-build pkg-config libelf-dev libdw-dev
 libcapstone-dev libcmocka-dev bats jq clang libclang-rt-14-dev binutils
 elfutils abigail-tools libtree lsof needrestart ansible procps psmisc
 util-linux man-db python3 file libc6-dbg libjson-c-dev gcc-multilib libcap2-bin bc"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# needrestart must not restart services or ask questions when installed.
export NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
