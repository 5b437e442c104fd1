#!/bin/sh
# Installs the Debian packages wadm-c needs to build, test and run, when
# they are missing. As root it runs apt-get; otherwise it prints the exact
# command and fails. Used by `make run`, `make test`, CI and the Dockerfile.
#   deploy/debian-deps.sh           build + test + run packages
#   deploy/debian-deps.sh --runtime only what the wadm binary needs at run time
set -eu

if [ "${1:-}" = "--runtime" ]; then
    pkgs="libnats3.4 libmsgpackc2 libcjson1 libyaml-0-2 libev4 nats-server"
else
    pkgs="build-essential pkg-config libnats-dev libmsgpack-dev libcjson-dev \
libyaml-dev libev-dev check nats-server clang \
libclang-rt-dev valgrind libssl-dev"
fi

command -v dpkg-query >/dev/null 2>&1 || {
    echo "deps: not a Debian system; install the equivalents of: $pkgs" >&2
    exit 0
}

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing ||
    { apt-get update && apt-get install -y --no-install-recommends $missing; }
