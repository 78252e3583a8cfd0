#pragma once

// The hosting side's model of a domain whose MTA-STS policy the service serves (docs/hosting.md):
// its policy versions, the TXT ids, the lifecycle (add, change, removal) and the DNS records a
// customer publishes. Pure: time comes in as `now`.
//
// Glossary
//   version        one policy as served under one TXT id; a change of mode, mx or max_age makes
//                  a new version, never an edit of an old one
//   record mode    who publishes the _mta-sts TXT record: the customer (self), or the service in
//                  its own zone behind a CNAME the customer publishes once (delegated)
//   removal        mode none under a new id, served until the longest max_age ever served has
//                  passed (RFC 8461 §8.3), then nothing

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {

using HostTime = std::chrono::sys_seconds;

inline constexpr std::uint32_t kHostedDefaultMaxAge = 604'800;  // one week, for testing
inline constexpr std::uint32_t kHostedRemovalMaxAge = 86'400;   // the none version's max_age
inline constexpr std::size_t kHostedMaxMx = 100;                // mx patterns per policy

enum class RecordMode {
  self,       // the customer publishes _mta-sts.<d> TXT "v=STSv1; id=..." on every change
  delegated,  // _mta-sts.<d> CNAME <d>.<delegation zone>; the service updates the TXT there
};

// "self", "delegated".
[[nodiscard]] std::string_view record_mode_name(RecordMode mode);
[[nodiscard]] std::optional<RecordMode> parse_record_mode(std::string_view text);

enum class HostedState {
  active,    // served under its current version
  removing,  // the none version is served until serve_until, then the domain is dropped
};

[[nodiscard]] std::string_view hosted_state_name(HostedState state);
[[nodiscard]] std::optional<HostedState> parse_hosted_state(std::string_view text);

// What an administrator controls.
struct HostedPolicy {
  PolicyMode mode = PolicyMode::testing;
  std::vector<std::string> mx;  // patterns: lowercase A-labels, "*." + name allowed, in order
  std::uint32_t max_age = kHostedDefaultMaxAge;

  friend bool operator==(const HostedPolicy&, const HostedPolicy&) = default;
};

struct PolicyVersion {
  std::string id;  // the TXT id: 1-32 letters and digits, never reused for another version
  HostedPolicy policy;
  HostTime created_at{};

  friend bool operator==(const PolicyVersion&, const PolicyVersion&) = default;
};

struct HostedDomain {
  std::string name;  // the Policy Domain, normalised (normalize_domain)
  HostedState state = HostedState::active;
  RecordMode records = RecordMode::self;
  PolicyVersion current;
  // The longest max_age of every version served so far, the current one included.
  std::uint32_t longest_max_age = 0;
  HostTime created_at{};
  HostTime updated_at{};
  // removing: the end of serving (the none version's created_at + the longest max_age served
  // before it). active: nullopt.
  std::optional<HostTime> serve_until;

  friend bool operator==(const HostedDomain&, const HostedDomain&) = default;
};

// A time as RFC 3339 UTC with whole seconds, "2025-01-02T03:04:05Z" (the admin API's form);
// times outside the years 0000-9999 are clamped to them.
[[nodiscard]] std::string format_utc(HostTime t);

// Checks and normalises a policy an administrator asked for: at most kHostedMaxMx mx patterns,
// each through parse_mx_pattern (lowercase A-labels, one leading "*." allowed, no IP addresses),
// duplicates dropped keeping the first; at least one mx unless the mode is none; max_age
// 1..31557600.
// Errors: Errc::invalid_value with a message naming the field ("mx[2]: ...", "max_age: ...").
[[nodiscard]] Result<HostedPolicy> validate_hosted_policy(HostedPolicy policy);

// The id of a new version made at `now`: its UTC time as 14 digits (YYYYMMDDhhmmss). When that
// is not greater than `previous` (two changes in one second, or the clock went back), the
// previous id as a number plus one instead, so ids of one domain only grow. `previous` is the
// current id or empty; an id that is not all digits is treated as 0. An id never exceeds 32
// characters (RFC 8461 §3.1): when previous + 1 would, the time's 14 digits are used (they
// differ from a 32-digit previous, and senders compare ids only for equality).
[[nodiscard]] std::string next_policy_id(HostTime now, std::string_view previous);

// The policy file served for a version: canonical (render_policy: version first, CRLF, mode, mx
// lines, max_age), UTF-8 without a BOM, no blank lines.
[[nodiscard]] std::string render_hosted_policy(const HostedPolicy& policy);

// The policy proposed for a new domain from its live MX host names: every distinct host name
// as an exact pattern (lowercased, one trailing dot dropped), in preference order as given,
// mode testing, the default max_age. The null MX ("" or ".") and hosts that are no valid exact
// pattern (IP addresses, wildcards) are left out. No MX hosts (or only the null MX) gives an
// empty mx list, which validate_hosted_policy() refuses unless the administrator names the mx
// patterns.
[[nodiscard]] HostedPolicy propose_hosted_policy(const std::vector<std::string>& mx_hosts);

// A new hosted domain with its first version. `policy` must have passed
// validate_hosted_policy(); `name` must be normalised.
[[nodiscard]] HostedDomain new_hosted_domain(std::string name, HostedPolicy policy,
                                             RecordMode records, HostTime now);

enum class ChangeResult {
  changed,    // a new version with a new id
  unchanged,  // the policy equals the current one: nothing to do, no new id
};

struct PolicyChange {
  HostedDomain domain;
  ChangeResult result = ChangeResult::unchanged;
};

// Applies a validated policy to an active domain: a new version (new id, created at `now`,
// updated_at = now, longest_max_age raised) when it differs from the current policy, else the
// domain as it was. The policy goes through validate_hosted_policy() again, so it is compared
// in its normalised form.
// Errors: Errc::invalid_value when the domain is being removed, or from validate_hosted_policy().
[[nodiscard]] Result<PolicyChange> change_hosted_policy(const HostedDomain& domain,
                                                        HostedPolicy policy, HostTime now);

// Begins the removal of an active domain: a version of mode none (no mx, max_age
// kHostedRemovalMaxAge) under a new id; serve_until = now + the longest max_age served before;
// longest_max_age then counts the none version too.
// Errors: Errc::invalid_value when the removal already began.
[[nodiscard]] Result<HostedDomain> begin_hosted_removal(const HostedDomain& domain, HostTime now);

// Whether the policy host answers for the domain at `now`: active, or removing and
// now < serve_until.
[[nodiscard]] bool hosted_serving(const HostedDomain& domain, HostTime now);

// Where the service is reached: what mta-sts.<d> must point at, and the zone of delegated
// _mta-sts records.
struct ServiceIdentity {
  std::string hostname;  // CNAME target for mta-sts.<d>, e.g. mta-sts.provider.example
  std::vector<std::string> addresses;  // or A/AAAA records of these addresses
  std::string delegation_zone;         // e.g. sts.provider.example; empty: no delegation offered
  std::uint32_t record_ttl = 300;      // TTL suggested for the customer's records
  // Where the TLS-RPT record sends reports: the HTTPS intake on the policy host, and, when a
  // mail domain is set, mailto:<d>@<report_mail_domain> (the SMTP/LMTP intake).
  bool report_https = true;
  std::string report_mail_domain;
};

// One DNS record, as a zone file line would hold it.
struct DnsRecordSpec {
  std::string owner;  // absolute, no trailing dot
  std::string type;   // "CNAME", "TXT", "A", "AAAA"
  std::string value;  // CNAME target without trailing dot; TXT text unquoted; address
  std::uint32_t ttl = 300;
  // Who publishes it: the customer, or the service (delegated TXT in its own zone).
  bool managed_by_service = false;

  friend bool operator==(const DnsRecordSpec&, const DnsRecordSpec&) = default;
};

// The owner of a delegated domain's TXT record in the service's zone: "<d>.<delegation zone>".
[[nodiscard]] std::string delegated_record_owner(std::string_view domain,
                                                 const ServiceIdentity& service);

// The TXT text of a version: "v=STSv1; id=<id>".
[[nodiscard]] std::string sts_record_text(std::string_view id);

// The TLS-RPT record (RFC 8460 §3) sending the domain's reports to the service's intakes:
// owner "_smtp._tls.<d>", text "v=TLSRPTv1; rua=https://mta-sts.<d>/tlsrpt" when
// service.report_https, then ",mailto:<d>@<report_mail_domain>" when a mail domain is set; ""
// when the service takes reports neither way. A domain that has a TLSRPT record already adds
// the URIs to its rua list (comma-separated) instead.
[[nodiscard]] std::string tlsrpt_record_owner(std::string_view domain);
[[nodiscard]] std::string tlsrpt_record_text(std::string_view domain,
                                             const ServiceIdentity& service);

// Every record a domain needs at its current version, with the service's record_ttl:
// mta-sts.<d> (CNAME to the hostname when one is set, else one A or AAAA per address, by its
// family: AAAA when it holds a ':'); for self, _mta-sts.<d> TXT; for delegated, _mta-sts.<d>
// CNAME to delegated_record_owner() and that owner's TXT (managed_by_service). A delegated
// domain of a service without a delegation zone (a configuration error the app reports) gets
// the self records, so the customer is never told to publish a CNAME to nowhere. Last, the
// TLS-RPT record of tlsrpt_record_text(), unless that is empty.
[[nodiscard]] std::vector<DnsRecordSpec> hosted_records(const HostedDomain& domain,
                                                        const ServiceIdentity& service);

}  // namespace mtasts::core
