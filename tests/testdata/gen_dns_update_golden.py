#!/usr/bin/env python3
"""Writes tests/testdata/golden/dns_update.jsonl: RFC 2136 updates and their answers as an
independent implementation (dnspython) builds and signs them (RFC 8945 TSIG).

Needs python3-dnspython (Debian) only to regenerate; the unit tests read the checked-in file.
Each row: the update to build (zone, id, operations, key, time), the bytes dnspython makes for it
unsigned ("unsigned", names not compressed, as mtasts writes them) and signed ("signed", "mac"),
and a server's answer to it ("response", compressed as servers do; signed when the request was,
with "response_mac" and "response_time"). dnspython parses the signed request with the key first,
so every row also proves that its TSIG verifies.
"""
import json
import pathlib
from unittest import mock

import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.renderer
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

OUT = pathlib.Path(__file__).resolve().parent / "golden" / "dns_update.jsonl"
ZONE = "sts.provider.test."
SECRET = bytes(range(32))
ALGORITHMS = {"hmac-sha256": dns.tsig.HMAC_SHA256, "hmac-sha512": dns.tsig.HMAC_SHA512,
              "hmac-sha1": dns.tsig.HMAC_SHA1}


class NoCompression(dict):
    """A compression table that never remembers a name, so dnspython writes names in full."""

    def get(self, key, default=None):
        return None

    def __setitem__(self, key, value):
        pass


def render(message, time_signed, compress):
    original_init = dns.renderer.Renderer.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if not compress:
            self.compress = NoCompression()

    with mock.patch.object(dns.renderer.Renderer, "__init__", init), \
            mock.patch("time.time", return_value=time_signed):
        return message.to_wire()


def split255(text: bytes):
    return [text[i:i + 255] for i in range(0, len(text), 255)] or [b""]


def build(case):
    update = dns.update.UpdateMessage(ZONE, id=case["id"])
    for op in case["ops"]:
        owner = dns.name.from_text(op["owner"])
        update.delete(owner, "TXT")
        if "text" in op:
            rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT,
                                            split255(op["text"].encode()))
            update.add(owner, op["ttl"], rdata)
    row = {"case": case["case"], "zone": ZONE.rstrip("."), "id": case["id"], "ops": case["ops"]}
    row["unsigned"] = render(update, 0, compress=False).hex()
    keyring = None
    key = case.get("key")
    if key:
        # mtasts writes names in lowercase; the row keeps the name as a user may write it.
        name = key["name"].lower()
        keyring = {dns.name.from_text(name): dns.tsig.Key(name, SECRET,
                                                          ALGORITHMS[key["algorithm"]])}
        update.use_tsig(keyring, keyname=name, fudge=300,
                        algorithm=ALGORITHMS[key["algorithm"]])
        signed = render(update, case["time"], compress=False)
        row["key"] = {"name": key["name"], "algorithm": key["algorithm"], "secret": SECRET.hex()}
        row["time"] = case["time"]
        row["signed"] = signed.hex()
        row["mac"] = update.mac.hex()
    else:
        signed = bytes.fromhex(row["unsigned"])
    # The server's side: parse (and so verify) the request, answer it.
    with mock.patch("time.time", return_value=case.get("time", 0)):
        request = dns.message.from_wire(signed, keyring=keyring)
    response = dns.message.make_response(request)
    response.set_rcode(dns.rcode.from_text(case["rcode"]))
    row["rcode"] = case["rcode"]
    response_time = case.get("time", 0) + 1
    wire = render(response, response_time, compress=True)
    row["response"] = wire.hex()
    if key:
        row["response_time"] = response_time
        row["response_mac"] = response.mac.hex()
        with mock.patch("time.time", return_value=response_time):
            dns.message.from_wire(wire, keyring=keyring, request_mac=update.mac)
    return row


CASES = [
    {"case": "replace-sha256", "id": 0x2A5C, "time": 1700000000, "rcode": "NOERROR",
     "key": {"name": "mtasts-key", "algorithm": "hmac-sha256"},
     "ops": [{"owner": "example.com.sts.provider.test", "ttl": 300,
              "text": "v=STSv1; id=20240101T000000"}]},
    {"case": "remove-sha256", "id": 0x0001, "time": 1700000100, "rcode": "NOERROR",
     "key": {"name": "mtasts-key", "algorithm": "hmac-sha256"},
     "ops": [{"owner": "gone.example.sts.provider.test"}]},
    {"case": "replace-long-sha512-refused", "id": 0xFFFF, "time": 1712345678, "rcode": "REFUSED",
     "key": {"name": "Provider.Key.", "algorithm": "hmac-sha512"},
     "ops": [{"owner": "long.sts.provider.test", "ttl": 60,
              "text": "v=STSv1; id=" + "".join(chr(ord("a") + i % 26) for i in range(588))}]},
    {"case": "replace-sha1", "id": 0x8000, "time": 1600000000, "rcode": "NOERROR",
     "key": {"name": "legacy", "algorithm": "hmac-sha1"},
     "ops": [{"owner": "sts.provider.test", "ttl": 1, "text": ""}]},
    {"case": "two-ops-unsigned-notzone", "id": 0x1234, "rcode": "NOTZONE",
     "ops": [{"owner": "a.sts.provider.test", "ttl": 86400, "text": "v=STSv1; id=a"},
             {"owner": "b.sts.provider.test"}]},
]


def main():
    rows = [build(c) for c in CASES]
    OUT.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
