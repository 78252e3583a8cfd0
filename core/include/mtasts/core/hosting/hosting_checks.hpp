#pragma once

// The pure rules of the `mtasts host` monitor (docs/hosting.md "Monitor"): what the DNS and the
// certificate store say about a hosted domain, as check findings (CheckArea::hosting). The app
// gathers the observation and decides what to do with the findings (store, alert, gate the
// certificate order); MX coverage and MX certificates use check_rules.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::core {

// What the monitor found for one hosted domain `d`.
struct HostedObservation {
  // The TXT records at _mta-sts.<d> after following CNAMEs, each record's strings joined;
  // empty for NXDOMAIN or NODATA; nullopt when the lookup failed (SERVFAIL, timeout).
  std::optional<std::vector<std::string>> sts_records;
  // The CNAME targets followed from _mta-sts.<d>, in order (DnsAnswer::cname_chain).
  std::vector<std::string> sts_cname_chain;
  // mta-sts.<d>: the lookup failed (SERVFAIL, timeout), else its CNAME targets in order and the
  // A/AAAA addresses at the end of the chain.
  bool policy_host_lookup_failed = false;
  std::vector<std::string> policy_host_cname_chain;
  std::vector<std::string> policy_host_addresses;
  // notAfter (unix seconds) of the certificate the service holds for mta-sts.<d>; nullopt when
  // it holds none.
  std::optional<std::int64_t> certificate_not_after;
};

// Whether mta-sts.<d> reaches the service (RFC 8461 §8.2): its CNAME chain passes through the
// service's host name (case-insensitive, trailing dots ignored), or it has addresses and every
// one of them is an address of the service (compared by value, so "2001:DB8::1" equals
// "2001:db8:0::1"). The gate before ordering a certificate for mta-sts.<d>: an ACME server
// validating the name must reach this service.
[[nodiscard]] bool policy_host_points_at_service(const ServiceIdentity& service,
                                                 const std::vector<std::string>& cname_chain,
                                                 const std::vector<std::string>& addresses);

// The findings for a hosted domain at `now_unix`; none when the domain is no longer served
// (hosted_serving() is false). In order:
//  - _mta-sts.<d>: sts-record-lookup-failed when the lookup failed; for delegated domains
//    hosted-delegation-broken when the CNAME chain does not end at delegated_record_owner();
//    then hosted-record-missing (no v=STSv1 record), hosted-record-multiple, sts-record-invalid
//    (one candidate that does not parse), or hosted-id-stale (another id than the current
//    version's; the message names both). Whether a stale id is still expected (a version just
//    made) is the caller's decision.
//  - mta-sts.<d>: hosted-policy-host-elsewhere when the lookup failed or it does not point at
//    the service (policy_host_points_at_service()).
//  - the certificate: hosted-cert-missing, hosted-cert-expired (notAfter before now), or
//    hosted-cert-expiring (fewer than kCertExpiringDays whole days left).
[[nodiscard]] std::vector<CheckFinding> hosted_findings(const HostedDomain& domain,
                                                        const ServiceIdentity& service,
                                                        const HostedObservation& observed,
                                                        std::int64_t now_unix);

}  // namespace mtasts::core
