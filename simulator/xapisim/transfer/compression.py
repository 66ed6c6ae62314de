"""Compressed transfer streams: gzip and zstd, written and read on the fly.

xapi compresses an export when asked (``use_compression=true|gzip|zstd``, export.ml) and, on
import, recognises zstd by its magic number and tries gzip otherwise (import.ml,
``with_open_archive``). The standard library has zlib but no zstd, so zstd frames are written with
raw (stored) blocks, which every zstd decoder reads, and read when their blocks are raw or RLE;
a frame with compressed blocks (as the ``zstd`` tool writes) is refused with a clear error.
"""
from __future__ import annotations

import struct
import zlib
from typing import Callable, Protocol

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZSTD_BLOCK = 128 * 1024
_READ_SIZE = 256 * 1024


class Readable(Protocol):
    def read(self, size: int) -> bytes: ...


class UnsupportedCompression(ValueError):
    pass


# ---- writing ---------------------------------------------------------------------------------
class Sink:
    """Bytes on their way to the client, compressed as the request asked."""

    def __init__(self, write: Callable[[bytes], None], compression: str | None) -> None:
        self._write = write
        self._compression = compression
        self.bytes_out = 0
        self._gzip = zlib.compressobj(1, zlib.DEFLATED, 31) if compression == "gzip" else None
        if compression == "zstd":
            # Frame header: no content size, no checksum; a 128 KiB window (exponent 7) fits a raw block.
            self._emit(ZSTD_MAGIC + b"\x00\x38")

    def _emit(self, data: bytes) -> None:
        if data:
            self._write(data)
            self.bytes_out += len(data)

    def write(self, data: bytes) -> int:
        if self._gzip is not None:
            self._emit(self._gzip.compress(data))
        elif self._compression == "zstd":
            for start in range(0, len(data), _ZSTD_BLOCK):
                block = data[start:start + _ZSTD_BLOCK]
                self._emit(_zstd_block_header(len(block), last=False) + block)
        else:
            self._emit(data)
        return len(data)

    def close(self) -> None:
        if self._gzip is not None:
            self._emit(self._gzip.flush())
        elif self._compression == "zstd":
            self._emit(_zstd_block_header(0, last=True))


def _zstd_block_header(size: int, last: bool) -> bytes:
    return struct.pack("<I", (size << 3) | int(last))[:3]  # block type 0: raw


# ---- reading ---------------------------------------------------------------------------------
def open_source(body: Readable) -> Readable:
    """``body`` decompressed as its first bytes say: zstd, gzip, or as it is."""
    head = _read_exactly_up_to(body, 4)
    if head.startswith(ZSTD_MAGIC):
        return _ZstdReader(_Prefixed(head, body))
    if head.startswith(GZIP_MAGIC):
        return _GzipReader(_Prefixed(head, body))
    return _Prefixed(head, body)


def _read_exactly_up_to(body: Readable, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = body.read(size - len(data))
        if not more:
            break
        data += more
    return data


class _Prefixed:
    """``body`` with bytes already taken from it put back in front."""

    def __init__(self, prefix: bytes, body: Readable) -> None:
        self._prefix = prefix
        self._body = body

    def read(self, size: int) -> bytes:
        if self._prefix:
            taken, self._prefix = self._prefix[:size], self._prefix[size:]
            return taken
        return self._body.read(size)


class _GzipReader:
    def __init__(self, body: Readable) -> None:
        self._body = body
        self._inflate = zlib.decompressobj(47)  # gzip or zlib header, detected
        self._pending = b""

    def read(self, size: int) -> bytes:
        while len(self._pending) < size and not self._inflate.eof:
            compressed = self._body.read(_READ_SIZE)
            if not compressed:
                break
            try:
                self._pending += self._inflate.decompress(compressed)
            except zlib.error as exc:
                raise UnsupportedCompression(f"corrupt gzip stream: {exc}") from exc
        taken, self._pending = self._pending[:size], self._pending[size:]
        return taken


class _ZstdReader:
    """zstd frames whose blocks are raw or RLE (RFC 8878, 3.1.1); compressed blocks are refused."""

    def __init__(self, body: Readable) -> None:
        self._body = body
        self._pending = b""
        self._in_frame = False
        self._checksum_follows = False
        self._done = False

    def _need(self, size: int) -> bytes:
        data = _read_exactly_up_to(self._body, size)
        if len(data) < size:
            raise EOFError("the zstd stream ends early")
        return data

    def _start_frame(self) -> bool:
        magic = _read_exactly_up_to(self._body, 4)
        if not magic:
            return False
        if len(magic) < 4:
            raise EOFError("the zstd stream ends early")
        if 0x184D2A50 <= struct.unpack("<I", magic)[0] <= 0x184D2A5F:  # a skippable frame
            self._need(struct.unpack("<I", self._need(4))[0])
            return self._start_frame()
        if magic != ZSTD_MAGIC:
            raise UnsupportedCompression("not a zstd frame")
        descriptor = self._need(1)[0]
        single_segment = bool(descriptor & 0x20)
        self._checksum_follows = bool(descriptor & 0x04)
        dictionary_size = (0, 1, 2, 4)[descriptor & 0x03]
        size_flag = descriptor >> 6
        content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[size_flag]
        self._need((0 if single_segment else 1) + dictionary_size + content_size_bytes)
        self._in_frame = True
        return True

    def _next_block(self) -> None:
        header = struct.unpack("<I", self._need(3) + b"\0")[0]
        last, kind, size = header & 1, (header >> 1) & 3, header >> 3
        if kind == 0:
            self._pending += self._need(size)
        elif kind == 1:
            self._pending += self._need(1) * size
        else:
            raise UnsupportedCompression("zstd blocks compressed with entropy coding are not supported by the simulator")
        if last:
            self._in_frame = False
            if self._checksum_follows:
                self._need(4)

    def read(self, size: int) -> bytes:
        while len(self._pending) < size and not self._done:
            if not self._in_frame and not self._start_frame():
                self._done = True
                break
            self._next_block()
        taken, self._pending = self._pending[:size], self._pending[size:]
        return taken
