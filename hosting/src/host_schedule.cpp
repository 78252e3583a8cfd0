#include "mtasts/hosting/host_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace mtasts::hosting {
namespace {

constexpr std::string_view kPolicyHostPrefix = "mta-sts.";
constexpr double kRenewalPoint = 2.0 / 3.0;
constexpr double kRenewalJitter = 0.05;
constexpr std::chrono::seconds kFirstRecordBackoff{5};
constexpr std::chrono::seconds kLongestRecordBackoff{600};
constexpr std::chrono::seconds kFirstCheckSpread{300};
constexpr double kCheckSpread = 0.1;

std::chrono::seconds doubled(std::chrono::seconds first, std::chrono::seconds longest,
                             std::uint32_t failures) {
  std::chrono::seconds wait = first;
  for (std::uint32_t i = 1; i < failures && wait < longest; ++i) {
    wait *= 2;
  }
  return std::min(wait, longest);
}

std::chrono::seconds fraction_of(std::chrono::seconds span, double fraction) {
  return std::chrono::seconds(
      static_cast<std::int64_t>(std::floor(static_cast<double>(span.count()) * fraction)));
}

}  // namespace

std::string policy_host_name(std::string_view domain) {
  return std::string(kPolicyHostPrefix) + std::string(domain);
}

std::string_view policy_domain_of(std::string_view host) {
  return host.starts_with(kPolicyHostPrefix) ? host.substr(kPolicyHostPrefix.size())
                                             : std::string_view();
}

double stable_fraction(std::string_view key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<double>(hash >> 11) / static_cast<double>(1ull << 53);
}

CertificateStatus certificate_status(const store::CertificateRow& row) {
  CertificateStatus status;
  status.name = row.name;
  status.issued = !row.chain_pem.empty();
  status.not_before = row.not_before;
  status.not_after = row.not_after;
  status.failures = row.failures;
  status.retry_at = row.retry_at;
  status.fingerprint =
      std::hash<std::string>{}(row.chain_pem) ^ (std::hash<std::string>{}(row.key_pem) << 1);
  return status;
}

HostTime renewal_time(const CertificateStatus& row) {
  const std::chrono::seconds lifetime =
      std::max(row.not_after - row.not_before, std::chrono::seconds(0));
  const std::chrono::seconds jitter =
      fraction_of(lifetime, kRenewalJitter * stable_fraction(row.name));
  return row.not_before + fraction_of(lifetime, kRenewalPoint) - jitter;
}

CertificateNeed certificate_need(const std::optional<CertificateStatus>& row, HostTime now) {
  CertificateNeed need = CertificateNeed::issue;
  if (row && row->issued) {
    need = now >= renewal_time(*row) || now >= row->not_after ? CertificateNeed::renew
                                                              : CertificateNeed::none;
  }
  if (need != CertificateNeed::none && row && row->retry_at && now < *row->retry_at) {
    return CertificateNeed::backoff;
  }
  return need;
}

HostTime retry_time(std::uint32_t failures, HostTime now,
                    std::optional<std::chrono::seconds> retry_after) {
  std::chrono::seconds wait = doubled(kFirstBackoff, kLongestBackoff, std::max(failures, 1u));
  if (retry_after) {
    wait = std::max(wait, *retry_after);
  }
  return now + wait;
}

std::int64_t days_left(HostTime not_after, HostTime now) {
  const auto seconds = (not_after - now).count();
  constexpr std::int64_t kDay = 86'400;
  return seconds >= 0 ? seconds / kDay : -((-seconds + kDay - 1) / kDay);
}

std::string_view expiry_bucket(const std::optional<CertificateStatus>& row, HostTime now) {
  if (!row || !row->issued) {
    return "missing";
  }
  if (row->not_after <= now) {
    return "expired";
  }
  const std::int64_t days = days_left(row->not_after, now);
  if (days < 7) {
    return "lt7d";
  }
  if (days < 14) {
    return "lt14d";
  }
  return days < 30 ? "lt30d" : "ge30d";
}

RecordAction record_action(const store::DomainRow& row, HostTime now, std::chrono::seconds settle) {
  const core::HostedDomain& domain = row.domain;
  if (domain.records != core::RecordMode::delegated || !core::hosted_serving(domain, now) ||
      row.published_id == domain.current.id) {
    return RecordAction::none;
  }
  return now >= domain.current.created_at + settle ? RecordAction::publish : RecordAction::wait;
}

bool removal_ended(const store::DomainRow& row, HostTime now) {
  return row.domain.state == core::HostedState::removing && !core::hosted_serving(row.domain, now);
}

HostTime record_retry_time(std::uint32_t failures, HostTime now) {
  return now + doubled(kFirstRecordBackoff, kLongestRecordBackoff, std::max(failures, 1u));
}

HostTime first_check_time(std::string_view domain, HostTime now, std::chrono::seconds interval) {
  const std::chrono::seconds spread = std::min(interval, kFirstCheckSpread);
  return now + fraction_of(spread, stable_fraction(domain));
}

HostTime next_check_time(std::string_view domain, HostTime last, std::chrono::seconds interval) {
  // stable_fraction in [0, 1) becomes an offset in [-10%, +10%) of the interval.
  const double offset = (2.0 * stable_fraction(domain) - 1.0) * kCheckSpread;
  const auto shift = std::chrono::seconds(
      static_cast<std::int64_t>(std::floor(static_cast<double>(interval.count()) * offset)));
  return last + std::max(interval + shift, std::chrono::seconds(1));
}

bool stale_id_expected(const core::HostedDomain& domain, HostTime now, std::chrono::seconds grace) {
  return now < domain.current.created_at + grace;
}

}  // namespace mtasts::hosting
