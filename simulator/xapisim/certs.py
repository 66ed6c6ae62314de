"""TLS material for the simulator, generated in pure Python at start-up.

Each run makes a throw-away certificate authority and one server certificate
for every loopback address the simulated hosts listen on, so clients can be
tested with full verification (``cafile=``) and without ``verify=False``.

Only the standard library is used, so the file carries three small layers:
a DER writer (``der.py``), P-256 arithmetic with ECDSA signing, and the X.509 pieces on
top. The keys protect nothing but a test endpoint on loopback and live for
one run, so the code favours clarity over side-channel resistance.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from typing import Iterator, Sequence

from .der import (
    der_bit_string,
    der_boolean,
    der_explicit,
    der_implicit,
    der_integer,
    der_named_bit_string,
    der_octet_string,
    der_oid,
    der_sequence,
    der_set_of,
    der_time,
    der_utf8_string,
    pem,
)

__all__ = ["TlsMaterial", "generate_tls"]

# ---------------------------------------------------------------------------
# NIST P-256 (secp256r1) and ECDSA with SHA-256
# ---------------------------------------------------------------------------

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    1,
)
# Points are Jacobian (X, Y, Z) standing for the affine (X/Z^2, Y/Z^3): this
# avoids a modular inversion per step. Z == 0 is the point at infinity.
JacobianPoint = tuple[int, int, int]
INFINITY: JacobianPoint = (1, 1, 0)


def _point_double(point: JacobianPoint) -> JacobianPoint:
    x, y, z = point
    if z == 0 or y == 0:
        return INFINITY
    p = P256_P
    delta = z * z % p
    gamma = y * y % p
    beta = x * gamma % p
    alpha = 3 * (x - delta) * (x + delta) % p  # uses a = -3
    x3 = (alpha * alpha - 8 * beta) % p
    z3 = ((y + z) * (y + z) - gamma - delta) % p
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
    return x3, y3, z3


def _point_add(first: JacobianPoint, second: JacobianPoint) -> JacobianPoint:
    if first[2] == 0:
        return second
    if second[2] == 0:
        return first
    p = P256_P
    x1, y1, z1 = first
    x2, y2, z2 = second
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    if h == 0:
        return _point_double(first) if r == 0 else INFINITY
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = h * z1 * z2 % p
    return x3, y3, z3


def _point_multiply(scalar: int, point: JacobianPoint) -> JacobianPoint:
    result = INFINITY
    for bit in bin(scalar)[2:]:
        result = _point_double(result)
        if bit == "1":
            result = _point_add(result, point)
    return result


def _to_affine(point: JacobianPoint) -> tuple[int, int]:
    x, y, z = point
    if z == 0:
        raise ValueError("the point at infinity has no affine form")
    z_inverse = pow(z, -1, P256_P)
    z_inverse_squared = z_inverse * z_inverse % P256_P
    return x * z_inverse_squared % P256_P, y * z_inverse_squared * z_inverse % P256_P


def _hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _rfc6979_nonces(secret: int, digest: bytes) -> Iterator[int]:
    """Deterministic ECDSA nonces (RFC 6979 section 3.2) for P-256 and SHA-256.

    With a 256-bit order and a 256-bit hash, one HMAC output is one candidate.
    """
    private = secret.to_bytes(32, "big")
    message = (int.from_bytes(digest, "big") % P256_N).to_bytes(32, "big")
    key, value = b"\x00" * 32, b"\x01" * 32
    key = _hmac_sha256(key, value + b"\x00" + private + message)
    value = _hmac_sha256(key, value)
    key = _hmac_sha256(key, value + b"\x01" + private + message)
    value = _hmac_sha256(key, value)
    while True:
        value = _hmac_sha256(key, value)
        candidate = int.from_bytes(value, "big")
        if 1 <= candidate < P256_N:
            yield candidate
        key = _hmac_sha256(key, value + b"\x00")
        value = _hmac_sha256(key, value)


@dataclass
class EcPrivateKey:
    """A P-256 private key: the secret scalar and its public point."""

    secret: int

    @classmethod
    def generate(cls) -> "EcPrivateKey":
        return cls(secrets.randbelow(P256_N - 1) + 1)

    def __post_init__(self) -> None:
        self.public = _to_affine(_point_multiply(self.secret, P256_G))

    def private_bytes(self) -> bytes:
        return self.secret.to_bytes(32, "big")

    def public_point_bytes(self) -> bytes:
        """The uncompressed SEC1 encoding ``04 || X || Y``."""
        x, y = self.public
        return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")

    def sign_sha256(self, message: bytes) -> tuple[int, int]:
        """ECDSA signature ``(r, s)`` of SHA-256(message), with an RFC 6979 nonce."""
        digest = hashlib.sha256(message).digest()
        e = int.from_bytes(digest, "big")  # the hash is as long as the order: no truncation
        for nonce in _rfc6979_nonces(self.secret, digest):
            r = _to_affine(_point_multiply(nonce, P256_G))[0] % P256_N
            s = pow(nonce, -1, P256_N) * (e + r * self.secret) % P256_N
            if r and s:
                return r, s
        raise AssertionError("unreachable: the nonce generator never ends")


# ---------------------------------------------------------------------------
# X.509 certificates (RFC 5280)
# ---------------------------------------------------------------------------

# Object identifiers used below.
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_PRIME256V1 = "1.2.840.10045.3.1.7"
OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
OID_COMMON_NAME = "2.5.4.3"
OID_ORGANIZATION = "2.5.4.10"
OID_SUBJECT_KEY_ID = "2.5.29.14"
OID_KEY_USAGE = "2.5.29.15"
OID_SUBJECT_ALT_NAME = "2.5.29.17"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_AUTHORITY_KEY_ID = "2.5.29.35"
OID_EXTENDED_KEY_USAGE = "2.5.29.37"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"

# keyUsage bit numbers (RFC 5280 section 4.2.1.3).
KU_DIGITAL_SIGNATURE = 0
KU_KEY_CERT_SIGN = 5
KU_CRL_SIGN = 6

ORGANIZATION = "xapisim"
VALIDITY_BACKDATE = _dt.timedelta(hours=1)  # tolerate client clocks slightly behind ours
VALIDITY_LENGTH = _dt.timedelta(days=30)


@dataclass
class TlsMaterial:
    """Paths of the PEM files a server and its clients need."""

    ca_cert_path: str
    cert_path: str
    key_path: str


def generate_tls(
    directory: str, ip_addresses: Sequence[str], dns_names: Sequence[str] = ("localhost",)
) -> TlsMaterial:
    """Write ``ca.pem``, ``server.pem`` and ``server-key.pem`` into ``directory``.

    The server certificate names every address in ``ip_addresses`` and every
    name in ``dns_names``, and is signed by the freshly made CA.
    """
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    not_before, not_after = now - VALIDITY_BACKDATE, now + VALIDITY_LENGTH

    ca_key = EcPrivateKey.generate()
    ca_name = _name("xapisim test CA")
    ca_key_id = _key_identifier(ca_key)
    ca_extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der_sequence(der_boolean(True)), critical=True),
        _extension(OID_KEY_USAGE, _key_usage(KU_KEY_CERT_SIGN, KU_CRL_SIGN), critical=True),
        _extension(OID_SUBJECT_KEY_ID, der_octet_string(ca_key_id)),
    ]
    ca_cert = _certificate(ca_key, ca_name, ca_key, ca_name, not_before, not_after, ca_extensions)

    server_key = EcPrivateKey.generate()
    server_extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der_sequence(), critical=True),
        _extension(OID_KEY_USAGE, _key_usage(KU_DIGITAL_SIGNATURE), critical=True),
        _extension(OID_EXTENDED_KEY_USAGE, der_sequence(der_oid(OID_SERVER_AUTH))),
        _extension(OID_SUBJECT_ALT_NAME, _subject_alt_names(ip_addresses, dns_names)),
        _extension(OID_SUBJECT_KEY_ID, der_octet_string(_key_identifier(server_key))),
        _extension(OID_AUTHORITY_KEY_ID, der_sequence(der_implicit(0, ca_key_id))),
    ]
    server_name = _name(dns_names[0] if dns_names else ip_addresses[0])
    server_cert = _certificate(
        server_key, server_name, ca_key, ca_name, not_before, not_after, server_extensions
    )

    material = TlsMaterial(
        ca_cert_path=os.path.join(directory, "ca.pem"),
        cert_path=os.path.join(directory, "server.pem"),
        key_path=os.path.join(directory, "server-key.pem"),
    )
    _write(material.ca_cert_path, pem("CERTIFICATE", ca_cert))
    _write(material.cert_path, pem("CERTIFICATE", server_cert))
    _write(material.key_path, pem("PRIVATE KEY", _pkcs8(server_key)), private=True)
    return material


def _write(path: str, text: str, private: bool = False) -> None:
    mode = 0o600 if private else 0o644
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)


def _name(common_name: str) -> bytes:
    """A distinguished name ``O=xapisim, CN=<common_name>``."""
    return der_sequence(
        der_set_of(der_sequence(der_oid(OID_ORGANIZATION), der_utf8_string(ORGANIZATION))),
        der_set_of(der_sequence(der_oid(OID_COMMON_NAME), der_utf8_string(common_name))),
    )


def _ec_algorithm() -> bytes:
    return der_sequence(der_oid(OID_EC_PUBLIC_KEY), der_oid(OID_PRIME256V1))


def _subject_public_key_info(key: EcPrivateKey) -> bytes:
    return der_sequence(_ec_algorithm(), der_bit_string(key.public_point_bytes()))


def _key_identifier(key: EcPrivateKey) -> bytes:
    # RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
    return hashlib.sha1(key.public_point_bytes()).digest()


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [der_oid(oid)]
    if critical:
        parts.append(der_boolean(True))  # DER omits the DEFAULT FALSE value
    parts.append(der_octet_string(value))
    return der_sequence(*parts)


def _key_usage(*bits: int) -> bytes:
    flags = 0
    for bit in bits:
        flags |= 0x80 >> bit  # bit 0 is the most significant bit of the first byte
    return der_named_bit_string(flags.to_bytes(1, "big"))


def _subject_alt_names(ip_addresses: Sequence[str], dns_names: Sequence[str]) -> bytes:
    names = [der_implicit(2, name.encode("ascii")) for name in dns_names]
    names += [der_implicit(7, ipaddress.ip_address(ip).packed) for ip in ip_addresses]
    return der_sequence(*names)


def _certificate(
    subject_key: EcPrivateKey,
    subject: bytes,
    issuer_key: EcPrivateKey,
    issuer: bytes,
    not_before: _dt.datetime,
    not_after: _dt.datetime,
    extensions: list[bytes],
) -> bytes:
    signature_algorithm = der_sequence(der_oid(OID_ECDSA_WITH_SHA256))
    # Positive and at most 20 octets, as RFC 5280 asks of serial numbers.
    serial = secrets.randbits(63) | (1 << 62)
    tbs = der_sequence(
        der_explicit(0, der_integer(2)),  # version v3
        der_integer(serial),
        signature_algorithm,
        issuer,
        der_sequence(der_time(not_before), der_time(not_after)),
        subject,
        _subject_public_key_info(subject_key),
        der_explicit(3, der_sequence(*extensions)),
    )
    r, s = issuer_key.sign_sha256(tbs)
    signature = der_sequence(der_integer(r), der_integer(s))
    return der_sequence(tbs, signature_algorithm, der_bit_string(signature))


def _pkcs8(key: EcPrivateKey) -> bytes:
    """PKCS#8 PrivateKeyInfo wrapping a SEC1 ECPrivateKey (RFC 5208, RFC 5915)."""
    sec1 = der_sequence(
        der_integer(1),
        der_octet_string(key.private_bytes()),
        der_explicit(1, der_bit_string(key.public_point_bytes())),
    )
    return der_sequence(der_integer(0), _ec_algorithm(), der_octet_string(sec1))
