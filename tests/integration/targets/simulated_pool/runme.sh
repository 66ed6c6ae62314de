#!/usr/bin/env bash
# ansible-test integration target: a simulated pool (xapisim) on loopback, and a playbook that creates, changes,
# checks idempotence of and removes a VM, a disk and a network through the collection's modules.
set -euo pipefail

if ! python -c 'import xapisim' 2>/dev/null; then
    echo "This target runs against the XAPI simulator; install it first: pip install ./simulator (from the source repository)." >&2
    exit 1
fi

ready="$(mktemp)"
python -m xapisim > "$ready" 2>/dev/null &
simulator=$!
trap 'kill "$simulator" 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 150); do
    [ -s "$ready" ] && break
    sleep 0.2
done
[ -s "$ready" ] || { echo "the simulator did not start" >&2; exit 1; }

field() { python -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$ready" "$1"; }
# HTTPS with certificate checks, as users connect: the simulator made its own CA for this run.
XAPI_HOST="$(field url)" XAPI_USERNAME="$(field username)" XAPI_PASSWORD="$(field password)" XAPI_CA_PATH="$(field ca_cert)" \
    ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$(command -v python)" simulated_pool.yml "$@"
