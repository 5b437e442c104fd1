#!/bin/sh
# test/demo.sh BUILD_DIR - the wadm-c demo (make demo): a private
# nats-server on loopback, three simulated wasmCloud hosts with different
# labels, and wadm; deploys the hello-world manifest of the shared
# fixtures, shows its status and where it runs, deploys a new version with
# more instances spread over the hosts, undeploys, and stops everything it
# started (by pid). Everything lives in a temporary directory that is
# removed at the end. Takes about 15 s.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
fixtures=${WADM_FIXTURES:-$root/../shared/fixtures}
manifest=$fixtures/oam/hello.yaml
lattice=default
t0=$(date +%s)

for f in "$build/wadm" "$build/hostsim" "$manifest"; do
    [ -e "$f" ] || { echo "demo: $f is missing (run make first)" >&2; exit 1; }
done
command -v nats-server >/dev/null 2>&1 ||
    { echo "demo: nats-server is not installed (make deps)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/wadm-demo-XXXXXX)
pids=""          # started here, stopped in reverse order
ok=0

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }

stop_all() {
    status=$?
    [ -n "$pids" ] && step "stopping what the demo started"
    for p in $pids; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
            n=0
            while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do
                sleep 0.1; n=$((n + 1))
            done
            kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
            wait "$p" 2>/dev/null || true
            say "stopped pid $p"
        fi
    done
    if [ $ok -ne 1 ]; then
        echo "demo: FAILED; the last lines of the logs:" >&2
        for l in "$tmp"/*.log; do
            [ -f "$l" ] && { echo "--- $l" >&2; tail -n 15 "$l" >&2; }
        done
    fi
    rm -rf "$tmp"
    exit $status
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Waits up to $1 tenths of a second for the command after it to succeed.
wait_for() {
    n=$1; shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.1
    done
}

# The demo's NATS client: requests, status waits, inventories.
req=$tmp/demo_req
cc -std=c11 -D_GNU_SOURCE -O2 -o "$req" "$root/test/demo_req.c" \
    $(pkg-config --cflags --libs libnats libcjson)

step "1. a private nats-server on 127.0.0.1 (JetStream, store in $tmp)"
nats-server -a 127.0.0.1 -p -1 -js -sd "$tmp/nats" \
    --ports_file_dir "$tmp" >"$tmp/nats.log" 2>&1 &
nats_pid=$!
pids="$nats_pid"
wait_for 100 test -s "$tmp/nats-server_$nats_pid.ports"
url=$(sed 's/.*"\(nats:[^"]*\)".*/\1/' "$tmp/nats-server_$nats_pid.ports")
say "nats-server pid $nats_pid listening on $url"

step "2. wadm"
"$build/wadm" -s "$url" --run-dir "$tmp/run" --cleanup-interval 10 \
    >"$tmp/wadm.log" 2>&1 &
wadm_pid=$!
pids="$wadm_pid $pids"
wait_for 100 "$req" "$url" req "wadm.api.$lattice.model.get" ""
say "wadm pid $wadm_pid answers on wadm.api.$lattice.model.*" \
    "(workers: dispatch, ingest, rec.$lattice)"

step "3. three simulated hosts with different labels (one hostsim process)"
"$build/hostsim" --nats "$url" --lattice "$lattice" \
    --host zone=east --host zone=west --host zone=central \
    --heartbeat-ms 2000 --health-delay-ms 500 >"$tmp/hostsim.log" 2>&1 &
hs_pid=$!
pids="$hs_pid $pids"
wait_for 100 grep -q "hosts ready" "$tmp/hostsim.log"
say "hostsim pid $hs_pid:"
"$req" "$url" where "$lattice"

# deploy FILE: put then deploy, waiting until deployed
deploy() {
    "$build/wadmctl" app -s "$url" --lattice "$lattice" deploy --wait \
        --wait-timeout-s 30 "$1" | sed 's/^/    /'
}
undeploy() {
    "$build/wadmctl" app -s "$url" --lattice "$lattice" undeploy "$1" |
        sed 's/^/    /'
}

step "4. deploy $(basename "$manifest") (hello-world: 1 component, the http-server provider, a link) with wadmctl app deploy --wait"
deploy "$manifest"
say "where it runs:"
"$req" "$url" where "$lattice"

step "5. a new version: 6 instances spread over the three zones"
awk '/instances: 1$/ {
        ind = substr($0, 1, index($0, "instances") - 1)
        print ind "instances: 6"
        print ind "spread:"
        n = split("east west central", z, " ")
        for (i = 1; i <= n; i++) {
            print ind "  - name: " z[i]
            print ind "    requirements:"
            print ind "      zone: " z[i]
        }
        next
     }
     { print }' "$manifest" >"$tmp/hello-v2.yaml"
grep -A12 'instances: 6' "$tmp/hello-v2.yaml" | sed 's/^/    | /'
deploy "$tmp/hello-v2.yaml"
say "where it runs now:"
"$req" "$url" where "$lattice"

step "6. undeploy: everything the app started stops, its link and config go"
undeploy hello-world
"$req" "$url" wait "$lattice" hello-world undeployed 20
wait_for 50 sh -c "! \"$req\" \"$url\" where \"$lattice\" | grep -q x[0-9]"
"$req" "$url" where "$lattice"
say "links left: $("$req" "$url" req "wasmbus.ctl.v1.$lattice.link.get" "")"
say "config hello_world-default_http: $("$req" "$url" req \
    "wasmbus.ctl.v1.$lattice.config.get.hello_world-default_http" "")"

ok=1
step "done in $(( $(date +%s) - t0 )) s"
