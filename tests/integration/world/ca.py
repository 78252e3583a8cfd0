"""The test CA: a trusted root, an intermediate under it, a second root nobody trusts, and leaf
certificates in every variant of model.CERT_VARIANTS, written as PEM files.

Keys are ECDSA P-256: quick to make, accepted by OpenSSL at every TLS version.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from world.model import CERT_VARIANTS, normalize_name

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class CertFiles:
    """cert: the chain a server presents (leaf first); key: the leaf's private key; issuer: the
    certificate whose key signed the leaf (the leaf itself when self-signed)."""

    cert: Path
    key: Path
    leaf: x509.Certificate
    issuer: Optional[x509.Certificate] = None

    def spki_sha256(self) -> str:
        """Hex SHA-256 of the leaf's SubjectPublicKeyInfo (TLSA 3 1 1 data)."""
        return _spki_sha256(self.leaf)

    def issuer_spki_sha256(self) -> str:
        """Hex SHA-256 of the issuing CA's SubjectPublicKeyInfo (TLSA 2 1 1 data). A DANE client
        finds that CA only in the chain the server sends: variant "chain" sends its issuer."""
        return _spki_sha256(self.issuer if self.issuer is not None else self.leaf)


def _spki_sha256(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


class _Authority:
    def __init__(self, name: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate):
        self.name = name
        self.key = key
        self.cert = cert


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mtasts test world"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class TestCA:
    """Makes and caches certificates under `directory`.

    ca_file: the root to give clients as their CA file. untrusted_ca_file: the other root (give it
    to nobody; it is there for tests that need to show which root signed a leaf).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], CertFiles] = {}
        now = datetime.datetime.now(datetime.timezone.utc)
        self._now = now
        self.root = self._make_authority("mtasts test root CA")
        self.untrusted = self._make_authority("mtasts untrusted CA")
        self.intermediate = self._make_authority("mtasts test intermediate CA", self.root)
        self.ca_file = self.dir / "ca.pem"
        self.ca_file.write_bytes(_pem(self.root.cert))
        self.untrusted_ca_file = self.dir / "untrusted-ca.pem"
        self.untrusted_ca_file.write_bytes(_pem(self.untrusted.cert))
        self.intermediate_file = self.dir / "intermediate-ca.pem"
        self.intermediate_file.write_bytes(_pem(self.intermediate.cert))

    def _make_authority(self, cn: str, parent: Optional[_Authority] = None) -> _Authority:
        """A CA named `cn`: a self-signed root without `parent`, else an intermediate that
        `parent` signs and that may sign only leaves."""
        key = _new_key()
        name = _name(cn)
        builder = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(parent.cert.subject if parent else name)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(self._now - 2 * DAY)
                   .not_valid_after(self._now + 3650 * DAY)
                   .add_extension(x509.BasicConstraints(ca=True,
                                                        path_length=0 if parent else None),
                                  critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True,
                                                crl_sign=True, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False))
        if parent:
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                parent.key.public_key()), critical=False)
        return _Authority(cn, key, builder.sign(parent.key if parent else key, hashes.SHA256()))

    def leaf(self, name: str, variant: str = "valid") -> CertFiles:
        """The certificate for host `name` in `variant` (one of CERT_VARIANTS), made once."""
        if variant not in CERT_VARIANTS:
            raise ValueError(f"unknown cert variant {variant!r}; known: {CERT_VARIANTS}")
        name = normalize_name(name)
        with self._lock:
            hit = self._cache.get((name, variant))
            if hit is None:
                hit = self._make_leaf(name, variant)
                self._cache[(name, variant)] = hit
            return hit

    def _make_leaf(self, name: str, variant: str) -> CertFiles:
        key = _new_key()
        not_before = self._now - DAY
        not_after = self._now + 90 * DAY
        issuer: Optional[_Authority] = self.root
        sans: Optional[list[str]] = [name]
        cn = name
        extra_chain: list[x509.Certificate] = []
        if variant == "expired":
            not_before, not_after = self._now - 60 * DAY, self._now - DAY
        elif variant == "expiring":
            not_before, not_after = self._now - 60 * DAY, self._now + 7 * DAY
        elif variant == "not_yet_valid":
            not_before, not_after = self._now + DAY, self._now + 60 * DAY
        elif variant == "wrong_name":
            parent = name.split(".", 1)[1] if "." in name else "wrong-name.invalid"
            sans, cn = [parent], parent
        elif variant == "cn_only":
            sans = None
        elif variant == "wildcard":
            parent = name.split(".", 1)[1] if "." in name else name
            sans, cn = [f"*.{parent}"], f"*.{parent}"
        elif variant == "untrusted":
            issuer = self.untrusted
        elif variant == "self_signed":
            issuer = None
        elif variant == "chain":
            issuer = self.intermediate
            extra_chain = [self.intermediate.cert]
        elif variant == "missing_intermediate":
            issuer = self.intermediate

        subject = _name(cn)
        b = (x509.CertificateBuilder()
             .subject_name(subject)
             .issuer_name(issuer.cert.subject if issuer else subject)
             .public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(not_before)
             .not_valid_after(not_after)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                   ExtendedKeyUsageOID.CLIENT_AUTH]),
                            critical=False))
        if sans is not None:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]),
                                critical=False)
        if issuer is not None:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.key.public_key()), critical=False)
        cert = b.sign(issuer.key if issuer else key, hashes.SHA256())

        d = self.dir / variant
        d.mkdir(exist_ok=True)
        cert_path = d / f"{name}.pem"
        key_path = d / f"{name}.key"
        cert_path.write_bytes(_pem(cert) + b"".join(_pem(c) for c in extra_chain))
        key_path.write_bytes(_key_pem(key))
        key_path.chmod(0o600)
        return CertFiles(cert_path, key_path, cert, issuer.cert if issuer else cert)
