# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cloud-init config drive: a small FAT16 volume labelled ``cidata``, built in memory.

cloud-init's NoCloud source reads a vfat or iso9660 volume labelled ``cidata`` holding ``meta-data``,
``user-data`` and optionally ``network-config`` and ``vendor-data``; its ConfigDrive source reads
``openstack/latest/meta_data.json`` and ``user_data`` from the same volume. This is the layout Xen
Orchestra writes (a 10 MiB FAT16 volume). The writer is ours, standard library only, because modules
run wherever Ansible runs them and a FAT16 volume of a few small files takes a page of code: one boot
sector, two FATs, a root directory and contiguous files, with VFAT long names (``meta-data`` is not
an 8.3 name). Dates are fixed, so the same files always make the same bytes.
"""

from __future__ import annotations

import struct
import typing as t

SECTOR = 512
VOLUME_SIZE = 10 * 1024 * 1024
SECTORS_PER_CLUSTER = 4
RESERVED_SECTORS = 1
FAT_COPIES = 2
ROOT_ENTRIES = 512
MEDIA = 0xF8
END_OF_CHAIN = 0xFFFF
ATTR_DIRECTORY, ATTR_ARCHIVE, ATTR_VOLUME, ATTR_LONG_NAME = 0x10, 0x20, 0x08, 0x0F
# 2026-01-01 00:00:00, in FAT's packed form.
FIXED_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1
FIXED_TIME = 0
_SHORT_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%'-_@~`!(){}^#&")


class _Node:
    def __init__(self, name: str, data: t.Optional[bytes] = None) -> None:
        self.name = name
        self.data = data  # None for a directory
        self.children: t.Dict[str, _Node] = {}
        self.cluster = 0

    @property
    def is_dir(self) -> bool:
        return self.data is None


def _tree(files: t.Mapping[str, bytes]) -> _Node:
    root = _Node("")
    for path, data in sorted(files.items()):
        node = root
        parts = [part for part in path.split("/") if part]
        for part in parts[:-1]:
            node = node.children.setdefault(part, _Node(part))
        node.children[parts[-1]] = _Node(parts[-1], bytes(data))
    return root


def _short_name(long_name: str, taken: t.Set[bytes]) -> bytes:
    """An 8.3 name for the long one, unique in its directory (BASE~N.EXT)."""
    stem, dot, extension = long_name.upper().rpartition(".")
    if not dot:
        stem, extension = extension, ""
    clean = "".join(char for char in stem if char in _SHORT_NAME_CHARS)
    extension = "".join(char for char in extension if char in _SHORT_NAME_CHARS)[:3]
    for number in range(1, 1000):
        tail = "~{0}".format(number)
        candidate = (clean[: 8 - len(tail)] + tail).ljust(8).encode("ascii") + extension.ljust(3).encode("ascii")
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise ValueError("too many files named like {0!r}".format(long_name))


def _checksum(short: bytes) -> int:
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def _long_name_entries(name: str, short: bytes) -> t.List[bytes]:
    """VFAT long-name entries for ``name``, in the order they are stored (last part first).

    Each holds 13 UTF-16 characters; a name that does not fill its last entry ends with a NUL, then 0xFFFF padding.
    """
    encoded = name.encode("utf-16-le")
    chars = [encoded[i:i + 2] for i in range(0, len(encoded), 2)]
    if len(chars) % 13:
        chars.append(b"\x00\x00")
        chars.extend([b"\xff\xff"] * (-len(chars) % 13))
    pieces = [chars[i:i + 13] for i in range(0, len(chars), 13)]
    checksum = _checksum(short)
    entries = []
    for index, piece in enumerate(pieces, start=1):
        order = index | (0x40 if index == len(pieces) else 0)
        entries.append(struct.pack("<B10sBBB12sH4s", order, b"".join(piece[0:5]), ATTR_LONG_NAME, 0, checksum,
                                   b"".join(piece[5:11]), 0, b"".join(piece[11:13])))
    return list(reversed(entries))


def _entry(short: bytes, attributes: int, cluster: int, size: int) -> bytes:
    return struct.pack("<11sBBBHHHHHHHI", short, attributes, 0, 0, FIXED_TIME, FIXED_DATE, FIXED_DATE, 0,
                       FIXED_TIME, FIXED_DATE, cluster, size)


class _Layout(t.NamedTuple):
    total_sectors: int
    fat_sectors: int
    root_sectors: int
    data_start: int
    clusters: int


def _layout(size: int) -> _Layout:
    total = size // SECTOR
    root = ROOT_ENTRIES * 32 // SECTOR
    fat = 1
    while True:
        clusters = (total - RESERVED_SECTORS - root - FAT_COPIES * fat) // SECTORS_PER_CLUSTER
        needed = -(-((clusters + 2) * 2) // SECTOR)
        if needed <= fat:
            return _Layout(total, fat, root, RESERVED_SECTORS + FAT_COPIES * fat + root, clusters)
        fat = needed


def _boot_sector(layout: _Layout, label: str, volume_id: int) -> bytes:
    sector = bytearray(SECTOR)
    sector[0:3] = b"\xeb\x3c\x90"
    sector[3:11] = b"mkfs.fat"
    struct.pack_into("<HBHBHHBHHHII", sector, 11, SECTOR, SECTORS_PER_CLUSTER, RESERVED_SECTORS, FAT_COPIES, ROOT_ENTRIES,
                     layout.total_sectors if layout.total_sectors < 0x10000 else 0, MEDIA, layout.fat_sectors, 32, 64, 0,
                     layout.total_sectors if layout.total_sectors >= 0x10000 else 0)
    struct.pack_into("<BBBI11s8s", sector, 36, 0x80, 0, 0x29, volume_id, label.encode("ascii")[:11].ljust(11), b"FAT16   ")
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def fat16_volume(files: t.Mapping[str, bytes], label: str = "cidata", size: int = VOLUME_SIZE, volume_id: int = 0x20260101) -> bytes:
    """The bytes of a FAT16 volume of ``size`` holding ``files`` (paths with "/", e.g. "openstack/latest/user_data")."""
    layout = _layout(size)
    cluster_bytes = SECTOR * SECTORS_PER_CLUSTER
    image = bytearray(size)
    fat = [0] * (layout.clusters + 2)
    fat[0], fat[1] = 0xFF00 | MEDIA, END_OF_CHAIN
    next_cluster = [2]

    def allocate(length: int) -> int:
        count = max(1, -(-length // cluster_bytes))
        first = next_cluster[0]
        if first + count > layout.clusters + 2:
            raise ValueError("the files do not fit in a {0} MiB volume".format(size // (1024 * 1024)))
        for cluster in range(first, first + count):
            fat[cluster] = cluster + 1 if cluster < first + count - 1 else END_OF_CHAIN
        next_cluster[0] = first + count
        return first

    def directory_entries(node: _Node, parent_cluster: int) -> bytes:
        taken: t.Set[bytes] = set()
        entries = []
        if node.cluster:
            entries.append(_entry(b".          ", ATTR_DIRECTORY, node.cluster, 0))
            entries.append(_entry(b"..         ", ATTR_DIRECTORY, parent_cluster, 0))
        else:
            entries.append(_entry(label.encode("ascii")[:11].ljust(11), ATTR_VOLUME, 0, 0))
        for name, child in sorted(node.children.items()):
            short = _short_name(name, taken)
            entries.extend(_long_name_entries(name, short))
            size_of = 0 if child.is_dir else len(child.data or b"")
            entries.append(_entry(short, ATTR_DIRECTORY if child.is_dir else ATTR_ARCHIVE, child.cluster, size_of))
        return b"".join(entries)

    def place(node: _Node) -> None:
        """Give every file and sub-directory below ``node`` its clusters (directories sized by their entries)."""
        for child in node.children.values():
            if child.is_dir:
                child.cluster = allocate(_directory_size(child))
                place(child)
            elif child.data:
                child.cluster = allocate(len(child.data))

    def write(node: _Node, parent_cluster: int) -> None:
        for child in node.children.values():
            offset = (layout.data_start + (child.cluster - 2) * SECTORS_PER_CLUSTER) * SECTOR
            if child.is_dir:
                content = directory_entries(child, node.cluster)
                image[offset:offset + len(content)] = content
                write(child, node.cluster)
            elif child.data:
                image[offset:offset + len(child.data)] = child.data

    root = _tree(files)
    place(root)
    root_content = directory_entries(root, 0)
    if len(root_content) > ROOT_ENTRIES * 32:
        raise ValueError("too many files for the root directory")
    root_offset = (RESERVED_SECTORS + FAT_COPIES * layout.fat_sectors) * SECTOR
    image[root_offset:root_offset + len(root_content)] = root_content
    write(root, 0)
    image[0:SECTOR] = _boot_sector(layout, label, volume_id)
    table = struct.pack("<{0}H".format(len(fat)), *fat)
    for copy in range(FAT_COPIES):
        offset = (RESERVED_SECTORS + copy * layout.fat_sectors) * SECTOR
        image[offset:offset + len(table)] = table
    return bytes(image)


def _directory_size(node: _Node) -> int:
    """Bytes of a sub-directory's entries: dot entries, and per child its long-name entries and short entry."""
    count = 2
    for name in node.children:
        count += 1 + -(-len(name.encode('utf-16-le')) // 26)
    return count * 32
