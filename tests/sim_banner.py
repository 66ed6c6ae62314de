"""Pass the simulator's output through, and after its ready line print how to point Ansible at it (make sim)."""
from __future__ import annotations

import json
import shlex
import sys

COLLECTIONS = sys.argv[1]
for line in sys.stdin:
    print(line, end="", flush=True)
    try:
        ready = json.loads(line)
    except ValueError:
        continue
    if isinstance(ready, dict) and "url" in ready:
        print("\nA demo pool is running at {0} until you stop it (Ctrl-C). In another terminal:\n".format(ready["url"]))
        print("  export XAPI_HOST={0} XAPI_USERNAME={1} XAPI_PASSWORD={2}".format(
            ready["url"], shlex.quote(ready["username"]), shlex.quote(ready["password"])))
        print("  export ANSIBLE_COLLECTIONS_PATH={0}".format(shlex.quote(COLLECTIONS)))
        print("  .venv/bin/ansible-playbook roles/vm_provision/examples/web_servers.yml")
        print("  .venv/bin/ansible-inventory -i playbooks/inventory/demo.xapi.yml --graph\n", flush=True)
