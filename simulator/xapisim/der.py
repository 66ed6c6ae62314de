"""DER encoding (ITU-T X.690) and PEM armour: only the types an X.509 certificate needs.

The writer under the simulator's TLS material (``certs.py``), in the standard library only.
"""

from __future__ import annotations

import base64
import datetime as _dt
import textwrap


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length_bytes))) + length_bytes + content


def der_integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative INTEGERs are needed here")
    # One spare bit keeps the sign bit clear, which is what DER wants for positives.
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_boolean(value: bool) -> bytes:
    return _der(0x01, b"\xff" if value else b"\x00")


def der_bit_string(data: bytes, unused_bits: int = 0) -> bytes:
    return _der(0x03, bytes((unused_bits,)) + data)


def der_named_bit_string(data: bytes) -> bytes:
    """A BIT STRING of flags: DER drops the trailing zero bits."""
    data = data.rstrip(b"\x00")
    if not data:
        return der_bit_string(b"")
    last = data[-1]
    unused = (last & -last).bit_length() - 1  # trailing zero bits of the last byte
    return der_bit_string(data, unused)


def der_octet_string(data: bytes) -> bytes:
    return _der(0x04, data)


def der_oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def der_utf8_string(text: str) -> bytes:
    return _der(0x0C, text.encode("utf-8"))


def der_sequence(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def der_set_of(*parts: bytes) -> bytes:
    # DER orders the elements of a SET OF by their encodings.
    return _der(0x31, b"".join(sorted(parts)))


def der_time(moment: _dt.datetime) -> bytes:
    """UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires."""
    moment = moment.astimezone(_dt.timezone.utc)
    if 1950 <= moment.year < 2050:
        return _der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return _der(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def der_explicit(tag_number: int, content: bytes) -> bytes:
    """A constructed context-specific tag ``[n]`` around already encoded content."""
    return _der(0xA0 | tag_number, content)


def der_implicit(tag_number: int, data: bytes) -> bytes:
    """A primitive context-specific tag ``[n] IMPLICIT`` over raw bytes."""
    return _der(0x80 | tag_number, data)


def pem(label: str, data: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(data).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
