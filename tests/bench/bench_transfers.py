"""Throughput and peak memory of disk and VM transfers (xen_vdi import_from/export_to, xen_vm_export/import).

    PYTHONPATH=tests python3 tests/bench/bench_transfers.py [--sizes 1,4] [--every 16]

For each disk size (GiB) it makes a VM with one disk of that size whose every ``--every``-th MiB holds
data, then runs each transfer through the collection's own transfer layer in a child process:
the raw upload that fills the disk, an XVA export, the XVA import of that archive and a raw
download. It prints MB/s (of the disk's virtual size), bytes on the wire, and the child's peak
memory (its maximum resident set, from ``wait4``), with the simulator's own peak. Numbers only;
the target is a client whose memory stays flat whatever the disk size.
"""
from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

MIB = 1024 * 1024
GIB = 1024 * MIB
STEPS = ("raw upload", "xva export", "xva import", "raw download")


def collections_dir() -> str:
    base = Path(tempfile.mkdtemp(prefix="bench-transfers-"))
    link = base / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(base)


# ---- the child: one transfer through the collection's transfer layer ------------------------------
def child(arguments: argparse.Namespace) -> None:
    sys.path.insert(0, arguments.collections)
    # pylint: disable=import-outside-toplevel
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.transfer import download, upload

    params = ConnectionParams.from_module_params({
        "hostname": arguments.url, "username": "root", "password": os.environ["BENCH_PASSWORD"], "validate_certs": True,
        "ca_path": arguments.ca, "protocol": "jsonrpc", "timeout": 600, "fallback_hosts": []})
    with XapiClient(params) as client:
        if arguments.step == "raw upload":
            with open(arguments.file, "rb") as handle:
                result = upload(client, "/import_raw_vdi", {"vdi": arguments.ref}, os.path.getsize(arguments.file), handle.read,
                                "VDI.import_raw", 3600)
        elif arguments.step == "xva export":
            with open(arguments.file, "wb") as handle:
                result = download(client, "/export", {"ref": arguments.ref}, handle.write, "VM.export", 3600)
        elif arguments.step == "xva import":
            with open(arguments.file, "rb") as handle:
                result = upload(client, "/import", {}, os.path.getsize(arguments.file), handle.read, "VM.import", 3600)
        else:
            with open(arguments.file, "wb") as handle:
                def write(piece: bytes) -> None:
                    if piece.count(0) == len(piece):
                        handle.seek(len(piece), os.SEEK_CUR)
                    else:
                        handle.write(piece)
                result = download(client, "/export_raw_vdi", {"vdi": arguments.ref}, write, "VDI.export_raw", 3600)
                handle.truncate()
    print(json.dumps({"seconds": result.seconds, "bytes": result.bytes_moved, "peak": peak_memory("self")}))


# ---- the parent ----------------------------------------------------------------------------------
def run_child(pool: SimProcess, collections: str, step: str, ref: str, path: Path) -> dict[str, Any]:
    """Run one step in a child process; returns its JSON line (seconds, bytes, peak resident memory)."""
    command = [sys.executable, __file__, "--child", step, "--url", pool.url, "--ca", pool.ca_cert or "", "--ref", ref,
               "--file", str(path), "--collections", collections]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=dict(os.environ, BENCH_PASSWORD=pool.info["password"]),
                               text=True)
    output, _errors = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{step} failed")
    return json.loads(output.strip().splitlines()[-1])


def peak_memory(pid: Any) -> int:
    """The process's peak resident memory (VmHWM: its own address space's high-water mark), in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def same_content(first: Path, second: Path) -> bool:
    with open(first, "rb") as one, open(second, "rb") as other:
        while True:
            piece = one.read(MIB)
            if piece != other.read(MIB):
                return False
            if not piece:
                return True


def make_vm(xen: Any, size: int) -> tuple[str, str]:
    """A halted VM with one disk of ``size`` bytes and nothing else."""
    vm = xen.VM.clone(xen.VM.get_by_name_label("build01")[0], f"bench {size // GIB} GiB")
    for vbd in xen.VM.get_VBDs(vm):
        xen.VBD.destroy(vbd)
    sr = xen.pool.get_default_SR(xen.pool.get_all()[0])
    disk = xen.VDI.create({"name_label": "bench disk", "name_description": "", "SR": sr, "virtual_size": str(size), "type": "user",
                           "sharable": False, "read_only": False, "other_config": {}, "xenstore_data": {}, "sm_config": {}, "tags": []})
    xen.VBD.create({"VM": vm, "VDI": disk, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk", "unpluggable": True,
                    "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    return vm, disk


def sparse_image(path: Path, size: int, every: int) -> None:
    """A sparse file of ``size`` bytes where every ``every``-th MiB holds random data."""
    with open(path, "wb") as handle:
        for offset in range(0, size, every * MIB):
            handle.seek(offset)
            handle.write(os.urandom(MIB))
        handle.truncate(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4", help="disk sizes in GiB, comma-separated")
    parser.add_argument("--every", type=int, default=16, help="one MiB of data in every this many MiB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    for hidden in ("--url", "--ca", "--ref", "--file", "--collections"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        arguments.step = arguments.child
        child(arguments)
        return
    import XenAPI  # pylint: disable=import-outside-toplevel

    collections = collections_dir()
    pool = start_simulator()
    session = XenAPI.Session(pool.url, transport=XenAPI.xmlrpclib.SafeTransport(context=ssl.create_default_context(cafile=pool.ca_cert)))
    session.xenapi.login_with_password(pool.info["username"], pool.info["password"], "1.0", "bench_transfers")
    xen = session.xenapi
    print(f"{'disk':>6} {'step':14} {'MB/s':>8} {'MB on the wire':>15} {'client peak MiB':>16}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-transfers-") as work:
            for gib in (int(part) for part in arguments.sizes.split(",")):
                size = gib * GIB
                vm, disk = make_vm(xen, size)
                image, archive, copy = Path(work) / "image.raw", Path(work) / "vm.xva", Path(work) / "copy.raw"
                sparse_image(image, size, arguments.every)
                for step, ref, path in (("raw upload", disk, image), ("xva export", vm, archive), ("xva import", "", archive),
                                        ("raw download", disk, copy)):
                    started = time.monotonic()
                    outcome = run_child(pool, collections, step, ref, path)
                    seconds = outcome["seconds"] or (time.monotonic() - started)
                    print(f"{gib:>4}GiB {step:14} {size / MIB / seconds:>8.0f} {outcome['bytes'] / MIB:>15.0f} "
                          f"{outcome['peak'] / MIB:>16.1f}")
                print(f"{gib:>4}GiB round trip identical: {same_content(image, copy)}")
                for path in (image, archive, copy):
                    path.unlink()
        print(f"simulator peak: {peak_memory(pool.process.pid) / MIB:.0f} MiB (it keeps the blocks written, in memory)")
    finally:
        session.xenapi.session.logout()
        pool.stop()


if __name__ == "__main__":
    main()
