#pragma once

// MTA-STS policy discovery as a sending MTA performs it (RFC 8461 §3): TXT lookup at
// _mta-sts.<domain>, record selection, HTTPS fetch, policy parse. The report keeps every step
// so a person can be told what happened, and ends in one FetchDetail.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/fetch_outcome.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net {

struct DiscoveryReport {
  std::string input;             // the destination as given
  std::string domain;            // the Policy Domain: lowercase A-labels, no trailing dot
  std::string record_name;       // _mta-sts.<domain>
  std::optional<TxtAnswer> txt;  // set once the TXT query ran
  std::optional<core::StsRecordSelection> selection;  // set when the TXT query answered
  std::optional<FetchResult> fetch;                   // set when a usable record was found
  std::optional<core::PolicyReport> policy_report;    // set when a body was fetched
  FetchDetail detail = FetchDetail::ok;
  std::string message;  // for anything but ok: the reason, for a person

  [[nodiscard]] ResultType result() const { return to_result_type(detail); }
  // The record when selection chose one (result may still be a failure).
  [[nodiscard]] const core::StsRecord* record() const;
  // The policy exactly when result() is ok.
  [[nodiscard]] const core::Policy* policy() const;
};

// Discovers the policy of `destination` (a domain name, U-labels allowed). Address literals
// and names that are not domains end without any query (address_literal, invalid_domain).
// DNS failures other than NXDOMAIN/NODATA end the discovery as dns_* (no negative result is
// implied); the fetch is only tried for exactly one valid record. Never throws. `resolver`
// and `fetcher` must outlive the coroutine.
boost::asio::awaitable<DiscoveryReport> discover(DnsResolver& resolver, PolicyFetcher& fetcher,
                                                 std::string destination);

struct DiscoveryOptions {
  DnsOptions dns;
  FetchOptions fetch;
};

// The c-ares resolver and the HTTPS fetcher that uses it, on one executor: what discover()
// needs. The fetcher is declared last so that it is destroyed first.
struct DiscoveryTools {
  std::unique_ptr<DnsResolver> resolver;
  std::unique_ptr<PolicyFetcher> fetcher;
};

// Makes both on `executor` (see make_ares_resolver and make_https_fetcher for their lifetimes).
// Errors: the configuration errors of make_ares_resolver and make_https_fetcher.
[[nodiscard]] core::Result<DiscoveryTools> make_discovery_tools(
    const boost::asio::any_io_executor& executor, DiscoveryOptions options);

// Runs discover() to completion on an event loop of its own, with the c-ares resolver and the
// HTTPS fetcher: the whole of `mtasts resolve`'s network work.
// Errors: the configuration errors of make_ares_resolver and make_https_fetcher.
[[nodiscard]] core::Result<DiscoveryReport> run_discovery(std::string destination,
                                                          DiscoveryOptions options);

}  // namespace mtasts::net
