# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XVA files on disk: kind, metadata, MACs, and the verification an export passes before it is kept."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import typing as t
import xmlrpc.client
from pathlib import Path

import pytest

from ansible_collections.xen.xapi.plugins.module_utils.vm.xva_file import (
    XvaProblem,
    archive_macs,
    compression_of,
    read_metadata,
    verify,
    vm_record,
)

OVA = {"version": {"xapi_major": "25"}, "objects": [
    {"class": "VM", "id": "Ref:0", "snapshot": {"name_label": "web", "is_a_snapshot": False}},
    {"class": "VIF", "id": "Ref:1", "snapshot": {"device": "0", "MAC": "aa:bb:cc:00:00:01"}},
]}


def _ova_xml() -> bytes:
    return xmlrpc.client.dumps((OVA,)).split("<param>\n")[1].split("</param>")[0].encode()


def archive(entries: t.List[t.Tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def chunk(name: str, data: bytes, checksum: t.Optional[bytes] = None) -> t.List[t.Tuple[str, bytes]]:
    return [(name, data), (name + ".checksum", checksum or hashlib.sha1(data).hexdigest().encode())]


def write(tmp_path: Path, content: bytes, name: str = "vm.xva") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_a_whole_archive_verifies_and_its_metadata_reads(tmp_path: Path) -> None:
    good = archive([("ova.xml", _ova_xml())] + chunk("Ref:2/00000000", b"boot") + chunk("Ref:2/00000003", b"end"))
    path = write(tmp_path, good)
    assert compression_of(path) == "none"
    assert verify(path) == {"disks": 1, "chunks": 2}
    metadata = read_metadata(path)
    assert vm_record(metadata)["name_label"] == "web"
    assert archive_macs(metadata) == {"0": "aa:bb:cc:00:00:01"}
    gzipped = write(tmp_path, gzip.compress(good), "vm.xva.gz")
    assert compression_of(gzipped) == "gzip" and verify(gzipped) == {"disks": 1, "chunks": 2}


@pytest.mark.parametrize("entries, problem", [
    ([("README", b"x")], "not ova.xml"),
    ([("ova.xml", _ova_xml())] + chunk("Ref:2/00000000", b"boot", b"0" * 40), "does not match its checksum"),
    ([("ova.xml", _ova_xml()), ("Ref:2/00000000", b"boot")], "has no checksum"),
    ([("ova.xml", _ova_xml()), ("Ref:2/00000000", b"boot"), ("Ref:2/00000001", b"x")], "not its checksum"),
    ([("ova.xml", b"<value><struct>")], "not readable"),
])
def test_damaged_archives_are_named(tmp_path: Path, entries: t.List[t.Tuple[str, bytes]], problem: str) -> None:
    with pytest.raises(XvaProblem, match=problem):
        verify(write(tmp_path, archive(entries)))


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    whole = archive([("ova.xml", _ova_xml())] + chunk("Ref:2/00000000", b"x" * 4096))
    with pytest.raises(XvaProblem, match="truncated"):
        verify(write(tmp_path, whole[:1500]))


def test_xxhash_checksums_are_checked_for_their_form(tmp_path: Path) -> None:
    good = archive([("ova.xml", _ova_xml()), ("Ref:2/00000000", b"a"), ("Ref:2/00000000.xxhash", b"D24EC4F1A98C6E5B")])
    assert verify(write(tmp_path, good))["chunks"] == 1
    bad = archive([("ova.xml", _ova_xml()), ("Ref:2/00000000", b"a"), ("Ref:2/00000000.xxhash", b"nonsense")])
    with pytest.raises(XvaProblem, match="malformed"):
        verify(write(tmp_path, bad))


def test_zstd_archives_are_recognised_but_not_read(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    assert compression_of(path) == "zstd"
    assert verify(path) == {"disks": 0, "chunks": 0}
    with pytest.raises(XvaProblem, match="zstd"):
        read_metadata(path)
