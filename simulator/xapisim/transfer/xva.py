"""The XVA archive: a tar stream of ``ova.xml`` then, per disk, 1 MiB chunks each followed by its checksum.

export.ml and stream_vdi.ml: ``ova.xml`` is the XML-RPC encoding of ``{version, objects}`` where
each object is ``{class, id, snapshot}`` and every reference between exported objects is rewritten
to its ``Ref:N`` id. A disk's chunks are ``Ref:N/00000000``, ``Ref:N/00000001``, ... in increasing
order; chunks holding only zeros are left out except the first and the last, and each chunk is
followed by ``<name>.checksum`` (its SHA-1, hex) or ``<name>.xxhash`` (XXH64, hex): xapi writes
XXH64 today and reads both; the simulator writes SHA-1, which the standard library provides.
"""
from __future__ import annotations

import hashlib
import io
import tarfile
import time
from typing import Any, Callable, Iterator

from ..disk_contents import CHUNK_SIZE, DiskContents
from ..errors import XapiError
from ..wire import MalformedRequest, decode_xmlrpc_value, encode_xmlrpc_value
from .compression import Readable, UnsupportedCompression
from .xxhash64 import xxh64_hex

OVA_XML = "ova.xml"
EXPORT_VERSION = {"hostname": "xapisim", "date": "2025-01-01", "product_version": "8.4.0",
                  "product_brand": "XCP-ng", "build_number": "xapisim", "xapi_major": 25, "xapi_minor": 6,
                  "export_vsn": 2}


# ---- writing ---------------------------------------------------------------------------------
class XvaWriter:
    """Writes the archive to ``sink`` (anything with ``write``) as a tar stream."""

    def __init__(self, sink: Any) -> None:
        self._tar = tarfile.open(fileobj=sink, mode="w|", format=tarfile.USTAR_FORMAT)
        self._now = int(time.time())

    def _add(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = self._now
        info.mode = 0o644
        self._tar.addfile(info, io.BytesIO(data))

    def metadata(self, objects: list[dict[str, Any]]) -> None:
        document = {"version": EXPORT_VERSION, "objects": objects}
        self._add(OVA_XML, encode_xmlrpc_value(document).encode("utf-8"))

    def disk(self, prefix: str, vdi: str, size: int, contents: DiskContents, progress: Callable[[int], None]) -> None:
        """The chunks of one disk: the first, the last, and every one that holds data."""
        last = max((size - 1) // CHUNK_SIZE, 0)
        numbers = sorted({0, last, *(n for n in contents.written_chunks(vdi) if n <= last)})
        for number in numbers:
            length = min(CHUNK_SIZE, size - number * CHUNK_SIZE)
            data = contents.read(vdi, number * CHUNK_SIZE, max(length, 0))
            name = f"{prefix}/{number:08d}"
            self._add(name, data)
            self._add(f"{name}.checksum", hashlib.sha1(data).hexdigest().encode("ascii"))  # noqa: S324 (xapi's format)
            progress(length)

    def close(self) -> None:
        self._tar.close()


# ---- reading ---------------------------------------------------------------------------------
class XvaReader:
    """Reads an archive from a stream: ``metadata()`` first, then ``chunks()`` of every disk in order."""

    def __init__(self, source: Readable) -> None:
        try:
            self._tar = tarfile.open(fileobj=source, mode="r|")  # type: ignore[call-overload]
        except (tarfile.ReadError, EOFError) as exc:
            raise _archive_error(exc) from exc
        self._members = iter(self._tar)

    def _next(self) -> tuple[str, bytes] | None:
        try:
            member = next(self._members, None)
            if member is None:
                return None
            handle = self._tar.extractfile(member)
            return member.name, handle.read() if handle else b""
        except (tarfile.ReadError, EOFError, UnsupportedCompression) as exc:
            raise _archive_error(exc) from exc

    def metadata(self) -> dict[str, Any]:
        first = self._next()
        if first is None:
            raise XapiError("IMPORT_ERROR_PREMATURE_EOF")
        name, data = first
        if name != OVA_XML:
            raise XapiError("IMPORT_ERROR_UNEXPECTED_FILE", OVA_XML, name)
        try:
            document = decode_xmlrpc_value(data)
        except MalformedRequest as exc:
            raise XapiError("IMPORT_ERROR", f"ova.xml: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("objects"), list):
            raise XapiError("IMPORT_ERROR", "ova.xml has no objects")
        return document

    def chunks(self) -> Iterator[tuple[str, int, bytes]]:
        """``(disk prefix, chunk number, data)`` of every chunk, its checksum verified."""
        while True:
            entry = self._next()
            if entry is None:
                return
            name, data = entry
            prefix, _slash, number = name.rpartition("/")
            if not prefix or not number.isdigit():
                raise XapiError("IMPORT_ERROR", f"unexpected file {name} in the archive")
            checksum = self._next()
            if checksum is None:
                raise XapiError("IMPORT_ERROR_PREMATURE_EOF")
            _check(name, data, *checksum)
            yield prefix, int(number), data


def _check(name: str, data: bytes, checksum_name: str, checksum: bytes) -> None:
    if checksum_name == f"{name}.checksum":
        expected = hashlib.sha1(data).hexdigest()  # noqa: S324 (xapi's format)
    elif checksum_name == f"{name}.xxhash":
        expected = xxh64_hex(data)
    else:
        raise XapiError("IMPORT_ERROR", f"Expected to find a supported inline checksum file, instead found a file called: {checksum_name}")
    if checksum.decode("ascii", "replace").strip().lower() != expected.lower():
        raise XapiError("IMPORT_ERROR_SOME_CHECKSUMS_FAILED")


def _archive_error(exc: Exception) -> XapiError:
    if isinstance(exc, UnsupportedCompression):
        return XapiError("IMPORT_ERROR", str(exc))
    if isinstance(exc, EOFError) or "unexpected end" in str(exc) or "empty file" in str(exc):
        return XapiError("IMPORT_ERROR_PREMATURE_EOF")
    return XapiError("IMPORT_ERROR", f"Invalid XVA file: {exc}")
