"""xen_vdi's disk transfers end to end: images uploaded from a file and from an HTTP server, checksums, the disk's
content written back byte for byte, check mode without a write call, and no disk left by a failed upload."""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import struct
import ssl
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import XenAPI
from harness import run_playbook

MIB = 1024 * 1024


@pytest.fixture(name="images")
def fixture_images(tmp_path: Path) -> Iterator[dict[str, str]]:
    image = b"\xeb\x63\x90" + os.urandom(3 * MIB) + bytes(MIB)
    (tmp_path / "image.raw").write_bytes(image)
    # A qcow2 header: magic, version 3, then the virtual size at byte 24.
    (tmp_path / "image.qcow2").write_bytes(b"QFI\xfb" + struct.pack(">I", 3) + bytes(16) + struct.pack(">Q", 4 * MIB) + bytes(480))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {"image_dir": str(tmp_path), "image_sha256": hashlib.sha256(image).hexdigest(), "image_size": str(len(image)),
               "image_url": f"http://127.0.0.1:{server.server_address[1]}/image.raw"}
    finally:
        server.shutdown()


def test_import_export_round_trip_and_errors(sim: Any, images: dict[str, str]) -> None:
    run_playbook(sim, "xen_vdi_transfer.yml", "-e", json.dumps(images))
    folder = Path(images["image_dir"])
    assert (folder / "exported.raw").read_bytes() == (folder / "image.raw").read_bytes()
    session = XenAPI.Session(sim.url, transport=XenAPI.xmlrpclib.SafeTransport(context=ssl.create_default_context(cafile=sim.ca_cert)))
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_xen_vdi_transfer")
    try:
        names = {record["name_label"] for record in session.xenapi.VDI.get_all_records().values()}
    finally:
        session.xenapi.session.logout()
    assert {"imported image", "downloaded image"} <= names
    # The failed imports left no disk behind; the qcow2 one was made, refused by the server, and removed.
    assert not names & {"bad checksum", "too small", "too large", "qcow2 image"}


def test_check_mode_writes_nothing(sim_factory: Any, images: dict[str, str]) -> None:
    sim = sim_factory()
    run_playbook(sim, "xen_vdi_transfer.yml", "-e", json.dumps(images))
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_vdi_transfer_check.yml", "-e", json.dumps(images))
    assert sim.control_get("stats")["write_calls"] == 0
