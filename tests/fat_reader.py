"""A small FAT12/16 reader for the tests: the volume label and every file, by path, with VFAT long names.

Written from the FAT specification independently of the collection's writer, so that a test reading
a config drive back checks the bytes, not the writer against itself.
"""
from __future__ import annotations

import struct
from typing import Dict, List, Tuple


class FatVolume:
    def __init__(self, image: bytes) -> None:
        if image[510:512] != b"\x55\xaa":
            raise ValueError("no boot sector signature")
        (self.bytes_per_sector, self.sectors_per_cluster, reserved, fats, root_entries, total16, _media, fat_size,
         ) = struct.unpack_from("<HBHBHHBH", image, 11)
        self.total_sectors = total16 or struct.unpack_from("<I", image, 32)[0]
        self.boot_label = image[43:54].decode("ascii").rstrip()
        self.fs_type = image[54:62].decode("ascii").rstrip()
        self.image = image
        self.fat_offset = reserved * self.bytes_per_sector
        self.root_offset = (reserved + fats * fat_size) * self.bytes_per_sector
        self.root_size = root_entries * 32
        self.data_offset = self.root_offset + self.root_size
        self.cluster_size = self.sectors_per_cluster * self.bytes_per_sector
        self.fat_copies = [image[self.fat_offset + i * fat_size * self.bytes_per_sector:
                                 self.fat_offset + (i + 1) * fat_size * self.bytes_per_sector] for i in range(fats)]
        data_clusters = (self.total_sectors * self.bytes_per_sector - self.data_offset) // self.cluster_size
        self.fat_bits = 12 if data_clusters < 4085 else 16

    def _next(self, cluster: int) -> int:
        return struct.unpack_from("<H", self.fat_copies[0], cluster * 2)[0]

    def _chain(self, cluster: int) -> bytes:
        data = bytearray()
        seen = set()
        while 2 <= cluster < 0xFFF8:
            if cluster in seen:
                raise ValueError("cluster chain loops")
            seen.add(cluster)
            offset = self.data_offset + (cluster - 2) * self.cluster_size
            data += self.image[offset:offset + self.cluster_size]
            cluster = self._next(cluster)
        return bytes(data)

    @staticmethod
    def _entries(raw: bytes) -> List[Tuple[str, int, int, int]]:
        """(name, attributes, first cluster, size) of each entry, long names joined, deleted and dot entries skipped."""
        found = []
        long_parts: Dict[int, str] = {}
        for offset in range(0, len(raw), 32):
            entry = raw[offset:offset + 32]
            if entry[0] == 0:
                break
            if entry[0] == 0xE5:
                long_parts = {}
                continue
            attributes = entry[11]
            if attributes == 0x0F:
                order = entry[0] & 0x1F
                units = entry[1:11] + entry[14:26] + entry[28:32]
                text = units.decode("utf-16-le").split("\x00")[0].replace("\uffff", "")
                long_parts[order] = text
                continue
            short = entry[0:8].decode("ascii").rstrip() + ("." + entry[8:11].decode("ascii").rstrip() if entry[8:11].strip() else "")
            name = "".join(long_parts[key] for key in sorted(long_parts)) if long_parts else short
            long_parts = {}
            cluster, size = struct.unpack_from("<HI", entry, 26)
            if name in (".", ".."):
                continue
            found.append((name, attributes, cluster, size))
        return found

    @property
    def label(self) -> str:
        for name, attributes, _cluster, _size in self._entries(self.image[self.root_offset:self.root_offset + self.root_size]):
            if attributes & 0x08 and not attributes & 0x10:
                return name.replace(".", "").strip()
        return self.boot_label

    def files(self) -> Dict[str, bytes]:
        out: Dict[str, bytes] = {}

        def walk(raw: bytes, prefix: str) -> None:
            for name, attributes, cluster, size in self._entries(raw):
                if attributes & 0x08:
                    continue
                if attributes & 0x10:
                    walk(self._chain(cluster), f"{prefix}{name}/")
                else:
                    out[prefix + name] = self._chain(cluster)[:size] if size else b""
        walk(self.image[self.root_offset:self.root_offset + self.root_size], "")
        return out
