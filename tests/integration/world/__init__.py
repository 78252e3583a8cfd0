"""The mtasts test world: a private internet on loopback, inside a network namespace.

See tests/integration/README.md. Typical use (pytest): declare `WORLD_DOMAINS = [Domain(...)]`
in a test module and take the session-scoped `world` fixture.
"""

from world.ca import CertFiles, TestCA
from world.core import DnsLog, HttpsLog, SmtpLog, World, preflight, tlsa_name, tlsa_rdata
from world.model import (CERT_VARIANTS, POLICY_PATH, STALL_POINTS, TLS_VERSIONS, TLSA_SPECS,
                         Domain, MxHost, Policy, Record, UpdateZone, policy_text)
from world.netns import Netns, Process, WorldError

__all__ = [
    "CERT_VARIANTS", "POLICY_PATH", "STALL_POINTS", "TLSA_SPECS", "TLS_VERSIONS", "CertFiles",
    "DnsLog", "Domain", "HttpsLog", "MxHost", "Netns", "Policy", "Process", "Record", "SmtpLog",
    "TestCA", "UpdateZone", "World", "WorldError", "policy_text", "preflight", "tlsa_name",
    "tlsa_rdata",
]
