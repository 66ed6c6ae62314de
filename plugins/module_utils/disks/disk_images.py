# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk images on the machine that runs the module: their format, their virtual size, their checksum.

xen_vdi's ``import_from`` uploads raw, VHD and qcow2 images; this reads just enough of a file to know
which it is and how large a disk it needs. Pure logic on local files, standard library only.
"""

from __future__ import annotations

import hashlib
import re
import struct
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors

QCOW2_MAGIC = b"QFI\xfb"
VHD_COOKIE = b"conectix"
_CHECKSUM = re.compile(r"^(?P<algorithm>[a-z0-9]+):(?P<digest>[0-9a-fA-F]+)$")
_READ = 1024 * 1024


class DiskImage(t.NamedTuple):
    format: str
    virtual_size: int
    file_size: int


def parse_checksum(text: t.Optional[str]) -> t.Optional[t.Tuple[str, str]]:
    """``sha256:<hex>`` as (algorithm, lower-case hex); ResourceError naming the option when malformed."""
    if not text:
        return None
    match = _CHECKSUM.match(text.strip())
    if match is None or match.group("algorithm") not in hashlib.algorithms_guaranteed:
        raise errors.ResourceError("checksum: give it as <algorithm>:<hex digest>, for example sha256:9f86d0..., with an algorithm "
                                   "among {0}.".format(", ".join(sorted(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake")))))
    return match.group("algorithm"), match.group("digest").lower()


def file_digest(path: str, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for piece in iter(lambda: handle.read(_READ), b""):
            digest.update(piece)
    return digest.hexdigest()


def inspect(path: str) -> DiskImage:
    """The image's format (from its magic numbers) and the virtual size of the disk it fills."""
    with open(path, "rb") as handle:
        head = handle.read(512)
        handle.seek(0, 2)
        size = handle.tell()
        footer = b""
        if size >= 512:
            handle.seek(size - 512)
            footer = handle.read(512)
    if head.startswith(QCOW2_MAGIC) and len(head) >= 32:
        return DiskImage("qcow2", struct.unpack(">Q", head[24:32])[0], size)
    for block in (footer, head):
        if block.startswith(VHD_COOKIE) and len(block) >= 56:
            return DiskImage("vhd", struct.unpack(">Q", block[48:56])[0], size)
    return DiskImage("raw", size, size)
