# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XVA archives on disk: what kind a file is, what its ``ova.xml`` says, and whether an export arrived whole.

An XVA is a tar stream: ``ova.xml`` first (the XML-RPC encoding of ``{version, objects}``), then
each disk's 1 MiB chunks ``Ref:N/00000000``..., each followed by ``.checksum`` (SHA-1) or ``.xxhash``
(XXH64) of the chunk. The whole stream may be gzip or zstd compressed. Pure logic on local files.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import typing as t
import xml.parsers.expat
import xmlrpc.client

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
OVA_XML = "ova.xml"
_HEX16 = re.compile(r"^[0-9A-Fa-f]{16}$")


class XvaProblem(ValueError):
    """The file is not a complete, intact XVA archive; the message says why."""


def compression_of(path: str) -> str:
    """"gzip", "zstd" or "none" (a plain tar stream), from the file's first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def _open(path: str, compression: str) -> tarfile.TarFile:
    if compression == "zstd":
        raise XvaProblem("zstd archives cannot be read without a zstd library; their content is checked by XAPI on import")
    try:
        return tarfile.open(path, "r|gz" if compression == "gzip" else "r|")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise XvaProblem("not a tar archive ({0})".format(err))


def _decode_ova(data: bytes) -> t.Dict[str, t.Any]:
    document = "<methodResponse><params><param>{0}</param></params></methodResponse>".format(data.decode("utf-8", "replace"))
    try:
        (value,), _method = xmlrpc.client.loads(document)
    except (ValueError, xml.parsers.expat.ExpatError, xmlrpc.client.ResponseError) as err:
        raise XvaProblem("ova.xml is not readable ({0})".format(err))
    if not isinstance(value, dict) or not isinstance(value.get("objects"), list):
        raise XvaProblem("ova.xml lists no objects")
    return value


def read_metadata(path: str) -> t.Dict[str, t.Any]:
    """The decoded ``ova.xml`` of an archive (plain or gzip); XvaProblem if the file does not start with one."""
    with _open(path, compression_of(path)) as archive:
        try:
            member = archive.next()
        except (tarfile.TarError, EOFError, OSError) as err:
            raise XvaProblem("not a tar archive ({0})".format(err))
        if member is None or member.name != OVA_XML:
            raise XvaProblem("the first file is {0!r}, not ova.xml".format(member.name if member else None))
        handle = archive.extractfile(member)
        return _decode_ova(handle.read() if handle else b"")


def vm_record(metadata: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """The record of the (one) VM that is not a snapshot in an archive's metadata."""
    for obj in metadata.get("objects", []):
        snapshot = obj.get("snapshot") or {}
        if obj.get("class") == "VM" and not snapshot.get("is_a_snapshot"):
            return dict(snapshot)
    raise XvaProblem("ova.xml holds no VM")


def archive_macs(metadata: t.Mapping[str, t.Any]) -> t.Dict[str, str]:
    """The MAC of each VIF in the archive, by device number."""
    return dict((str(obj["snapshot"].get("device")), str(obj["snapshot"].get("MAC")))
                for obj in metadata.get("objects", []) if obj.get("class") == "VIF" and obj.get("snapshot"))


def verify(path: str) -> t.Dict[str, int]:
    """Read the archive through: ova.xml first, every chunk followed by a matching checksum, a proper end.

    Returns counts (disks, chunks). SHA-1 checksums are recomputed; XXH64 ones are checked for their form
    only (the standard library has no XXH64; XAPI verifies them on import). zstd archives are checked for
    their magic number only.
    """
    compression = compression_of(path)
    if compression == "zstd":
        return {"disks": 0, "chunks": 0}
    disks: t.Set[str] = set()
    chunks = 0
    with _open(path, compression) as archive:
        try:
            members = iter(archive)
            first = next(members, None)
            if first is None or first.name != OVA_XML:
                raise XvaProblem("the first file is {0!r}, not ova.xml".format(first.name if first else None))
            handle = archive.extractfile(first)
            _decode_ova(handle.read() if handle else b"")
            pending: t.Optional[t.Tuple[str, bytes]] = None
            for member in members:
                handle = archive.extractfile(member)
                data = handle.read() if handle else b""
                if pending is None:
                    prefix, _slash, number = member.name.rpartition("/")
                    if not prefix or not number.isdigit():
                        raise XvaProblem("unexpected file {0!r} in the archive".format(member.name))
                    pending = (member.name, data)
                    disks.add(prefix)
                    continue
                _check_sum(pending[0], pending[1], member.name, data)
                pending = None
                chunks += 1
            if pending is not None:
                raise XvaProblem("chunk {0} has no checksum".format(pending[0]))
        except (tarfile.TarError, EOFError, OSError) as err:
            raise XvaProblem("the archive is truncated or damaged ({0})".format(err))
    return {"disks": len(disks), "chunks": chunks}


def _check_sum(name: str, data: bytes, checksum_name: str, checksum: bytes) -> None:
    text = checksum.decode("ascii", "replace").strip()
    if checksum_name == name + ".checksum":
        if text.lower() != hashlib.sha1(data).hexdigest():  # nosec B324 - the archive format's checksum, not security
            raise XvaProblem("chunk {0} does not match its checksum".format(name))
    elif checksum_name == name + ".xxhash":
        if not _HEX16.match(text):
            raise XvaProblem("chunk {0} has a malformed checksum".format(name))
    else:
        raise XvaProblem("chunk {0} is followed by {1!r}, not its checksum".format(name, checksum_name))
