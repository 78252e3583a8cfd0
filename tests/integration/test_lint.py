"""`mtasts lint policy --domain` against live MX records in the test world."""

from __future__ import annotations

import json

from world import Domain, Policy

WORLD_DOMAINS = [
    Domain("lintmx.test", sts="v=STSv1; id=1", policy=Policy(mx=["mx1.lintmx.test"]),
           mx=["mx1.lintmx.test", "mx2.lintmx.test"]),
    Domain("lintimplicit.test", sts=None),
]


def lint(world, mtasts_bin, tmp_path, body, domain, *extra):
    path = tmp_path / "mta-sts.txt"
    path.write_text(body)
    proc = world.run([mtasts_bin, "lint", "policy", str(path), "--domain", domain, "--json",
                      *extra], timeout=30)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(out):
    return sorted(w["code"] for w in out["warnings"])


def test_live_mx_records_reveal_uncovered_and_stale_patterns(world, mtasts_bin, tmp_path):
    body = "version: STSv1\nmode: enforce\nmx: mx1.lintmx.test\nmx: old.lintmx.test\nmax_age: 604800\n"
    rc, out = lint(world, mtasts_bin, tmp_path, body, "lintmx.test")
    assert rc == 0 and out["valid"]
    assert codes(out) == ["policy-mx-not-covered", "policy-pattern-stale"]
    messages = " ".join(w["message"] for w in out["warnings"])
    assert "mx2.lintmx.test" in messages and "old.lintmx.test" in messages


def test_wildcard_of_the_policy_domain_is_flagged(world, mtasts_bin, tmp_path):
    body = "version: STSv1\nmode: enforce\nmx: *.lintmx.test\nmax_age: 604800\n"
    _, out = lint(world, mtasts_bin, tmp_path, body, "lintmx.test")
    assert codes(out) == ["policy-pattern-domain-wildcard"]


def test_domain_without_mx_uses_the_implicit_mx(world, mtasts_bin, tmp_path):
    body = "version: STSv1\nmode: enforce\nmx: lintimplicit.test\nmax_age: 604800\n"
    rc, out = lint(world, mtasts_bin, tmp_path, body, "lintimplicit.test")
    assert rc == 0 and codes(out) == []


def test_unreachable_dns_is_a_warning_not_a_verdict(world, mtasts_bin, tmp_path):
    body = "version: STSv1\nmode: enforce\nmx: mx1.lintmx.test\nmax_age: 604800\n"
    rc, out = lint(world, mtasts_bin, tmp_path, body, "lintmx.test",
                   "--dns-server", world.blackhole, "--timeout", "1")
    assert rc == 0 and out["valid"]
    assert codes(out) == ["policy-mx-lookup-failed"]
