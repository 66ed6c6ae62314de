"""What the simulated disks hold: only the blocks ever written, so a 4 GiB disk costs what was written to it.

xapi moves disk contents in 1 MiB chunks (``stream_vdi.ml``: ``chunk_size``); the same unit is kept
here. A chunk never written reads as zeros, and a chunk written with zeros only is forgotten, so
the memory a disk costs follows the data in it, not its virtual size.
"""
from __future__ import annotations

import threading
from typing import Iterator

CHUNK_SIZE = 1024 * 1024


class DiskContents:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: dict[str, dict[int, bytes]] = {}  # VDI ref -> chunk number -> its bytes

    def write(self, vdi: str, offset: int, data: bytes) -> None:
        """Write ``data`` at byte ``offset`` of ``vdi``."""
        position = 0
        while position < len(data):
            number, within = divmod(offset + position, CHUNK_SIZE)
            piece = data[position:position + CHUNK_SIZE - within]
            self._write_in_chunk(vdi, number, within, piece)
            position += len(piece)

    def _write_in_chunk(self, vdi: str, number: int, within: int, piece: bytes) -> None:
        with self._lock:
            chunks = self._chunks.setdefault(vdi, {})
            current = chunks.get(number, b"")
            if within == 0 and len(piece) >= len(current):
                updated = piece
            else:
                padded = current.ljust(within + len(piece), b"\0")
                updated = padded[:within] + piece + padded[within + len(piece):]
            if updated.count(0) == len(updated):
                chunks.pop(number, None)
            else:
                chunks[number] = updated

    def read(self, vdi: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``; blocks never written read as zeros."""
        out = bytearray()
        while len(out) < length:
            number, within = divmod(offset + len(out), CHUNK_SIZE)
            take = min(CHUNK_SIZE - within, length - len(out))
            with self._lock:
                chunk = self._chunks.get(vdi, {}).get(number, b"")
            out += chunk[within:within + take].ljust(take, b"\0")
        return bytes(out)

    def written_chunks(self, vdi: str) -> Iterator[int]:
        """The numbers of the chunks holding data, in increasing order."""
        with self._lock:
            numbers = sorted(self._chunks.get(vdi, {}))
        return iter(numbers)

    def copy(self, source: str, target: str) -> None:
        """``target`` holds what ``source`` holds (a VDI copy, clone or snapshot)."""
        with self._lock:
            self._chunks[target] = dict(self._chunks.get(source, {}))

    def forget(self, vdi: str) -> None:
        with self._lock:
            self._chunks.pop(vdi, None)

    def bytes_held(self) -> int:
        with self._lock:
            return sum(len(chunk) for chunks in self._chunks.values() for chunk in chunks.values())
