#pragma once

// `mtasts check`: a deployment audit of MTA-STS and TLSRPT as the strictest conforming sender
// sees it. Each domain: the _mta-sts record, the policy host and body, the policy against the
// MX records, a STARTTLS probe of every MX host, and the _smtp._tls record. Every finding comes
// from the catalogue of core/check_findings.hpp.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/net/check/smtp_probe.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net {

struct DomainCheck {
  std::string domain;  // normalised
  std::vector<core::CheckFinding> findings;

  [[nodiscard]] bool has_errors() const;
};

// Checks one normalised domain. `now_unix` dates certificate expiry. Never throws; the
// resolver, fetcher and prober must outlive the coroutine. The steps run one after another,
// so it takes at most the sum of their bounds: four DNS query timeouts (the _mta-sts TXT, the
// MX, one address lookup per MX host, the _smtp._tls TXT; a CNAME re-query adds one), the fetch
// timeout and one probe timeout (MX hosts are looked up and probed in parallel).
boost::asio::awaitable<DomainCheck> check_domain(DnsResolver& resolver, PolicyFetcher& fetcher,
                                                 SmtpProber& prober, std::string domain,
                                                 std::int64_t now_unix);

struct CheckOptions {
  DnsOptions dns;
  FetchOptions fetch;
  SmtpProbeOptions smtp;
};

// Checks every domain (normalised) concurrently on one event loop of its own and returns the
// results in the order given. Errors: the configuration errors of the resolver, fetcher and
// prober.
[[nodiscard]] core::Result<std::vector<DomainCheck>> run_checks(std::vector<std::string> domains,
                                                                CheckOptions options);

}  // namespace mtasts::net
