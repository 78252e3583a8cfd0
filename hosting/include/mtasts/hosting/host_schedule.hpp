#pragma once

// The timing decisions of `mtasts host`, pure (time comes in as `now`) so that they are tested
// with a fake clock: when a certificate is due and how long a failed order backs off, when a
// delegated domain's TXT record may be published, when a removal has ended, when a domain is
// monitored next, and the buckets of the metrics. They live in app/host rather than core
// because they are the service's policy, not the protocol's.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

using HostTime = core::HostTime;

// "mta-sts.<domain>": the policy host, and the name of its certificate (RFC 8461 §3.2).
[[nodiscard]] std::string policy_host_name(std::string_view domain);

// The Policy Domain of a policy host name ("" when `host` does not start with "mta-sts.").
[[nodiscard]] std::string_view policy_domain_of(std::string_view host);

// A number in [0, 1) from `key`, the same in every instance (FNV-1a), for jitter that spreads
// work without two instances disagreeing about it.
[[nodiscard]] double stable_fraction(std::string_view key);

// --- certificates

inline constexpr std::chrono::seconds kFirstBackoff{300};       // 5 minutes
inline constexpr std::chrono::seconds kLongestBackoff{86'400};  // a day

// What the service keeps of a certificate row between two syncs: everything but the PEM (the
// certificate set holds the parsed chain and key).
struct CertificateStatus {
  std::string name;
  bool issued = false;  // a chain is stored
  HostTime not_before{};
  HostTime not_after{};
  std::uint32_t failures = 0;
  std::optional<HostTime> retry_at;
  std::size_t fingerprint = 0;  // of chain and key: whether the set must be updated

  friend bool operator==(const CertificateStatus&, const CertificateStatus&) = default;
};

[[nodiscard]] CertificateStatus certificate_status(const store::CertificateRow& row);

// When a certificate is renewed: two thirds into its lifetime, earlier by up to 5% of the
// lifetime (stable_fraction of the name), as ACME clients spread renewals.
[[nodiscard]] HostTime renewal_time(const CertificateStatus& certificate);

enum class CertificateNeed {
  none,     // a certificate that is not due yet
  issue,    // no certificate: order one
  renew,    // past renewal_time(): order a new one, keep serving the old one meanwhile
  backoff,  // due, but the last attempt failed and retry_at has not come
};

[[nodiscard]] CertificateNeed certificate_need(const std::optional<CertificateStatus>& certificate,
                                               HostTime now);

// When to try again after the `failures`-th failure in a row (1 for the first): 5 minutes,
// doubling, at most a day, and never before the CA's Retry-After.
[[nodiscard]] HostTime retry_time(std::uint32_t failures, HostTime now,
                                  std::optional<std::chrono::seconds> retry_after);

// Whole days from `now` to `not_after`, rounded down (negative once expired).
[[nodiscard]] std::int64_t days_left(HostTime not_after, HostTime now);

// "missing", "expired", "lt7d", "lt14d", "lt30d", "ge30d": the certificates metric's buckets.
[[nodiscard]] std::string_view expiry_bucket(const std::optional<CertificateStatus>& certificate,
                                             HostTime now);

// --- delegated records

enum class RecordAction {
  none,     // nothing to publish: not delegated, not served, or the current id is published
  wait,     // a new id, not yet old enough for every instance to serve its body
  publish,  // replace the TXT record with the current id
};

// RFC 8461 §8.1: the TXT record announces a new id only once every instance serves the new
// body, that is once the version is at least `settle` (one sync interval) old.
[[nodiscard]] RecordAction record_action(const store::DomainRow& row, HostTime now,
                                         std::chrono::seconds settle);

// A removing domain whose serve_until has come: time to delete its record and drop it.
[[nodiscard]] bool removal_ended(const store::DomainRow& row, HostTime now);

// Backoff of a failed record update (kept in memory per domain): 5 s doubling, at most 10 min.
[[nodiscard]] HostTime record_retry_time(std::uint32_t failures, HostTime now);

// --- monitor

// The first check of a domain: within min(interval, 5 minutes) of `now`, spread by name.
[[nodiscard]] HostTime first_check_time(std::string_view domain, HostTime now,
                                        std::chrono::seconds interval);

// The next check after one at `last`: interval later, plus or minus 10% spread by name.
[[nodiscard]] HostTime next_check_time(std::string_view domain, HostTime last,
                                       std::chrono::seconds interval);

// Whether a TXT record that still carries an older id is to be expected rather than reported:
// the current version is younger than `grace`.
[[nodiscard]] bool stale_id_expected(const core::HostedDomain& domain, HostTime now,
                                     std::chrono::seconds grace);

}  // namespace mtasts::hosting
