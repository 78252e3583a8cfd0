#pragma once

// The JSON bodies of the `mtasts host` admin API (docs/hosting.md "Admin API"): request bodies
// parsed strictly, with an error naming the member at fault, and the JSON the responses carry.
// The bodies come from the network (behind a bearer token, but still untrusted): nothing here
// throws or asserts on them (fuzz target `admin_request`).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {

inline constexpr std::size_t kMaxAdminBodySize = 64 * 1024;

// POST /v1/domains. Absent members take the defaults of docs/hosting.md: mx proposed from the
// live MX records, mode testing, max_age one week, records self.
struct DomainCreate {
  std::string domain;  // normalised: lowercase A-labels, no trailing dot
  std::optional<PolicyMode> mode;
  std::optional<std::vector<std::string>> mx;  // each a normalised pattern, in order
  std::optional<std::uint32_t> max_age;
  std::optional<RecordMode> records;

  friend bool operator==(const DomainCreate&, const DomainCreate&) = default;
};

// PATCH /v1/domains/{d}: at least one member.
struct DomainUpdate {
  std::optional<PolicyMode> mode;
  std::optional<std::vector<std::string>> mx;
  std::optional<std::uint32_t> max_age;

  friend bool operator==(const DomainUpdate&, const DomainUpdate&) = default;
};

// Why a body was refused (HTTP 400).
struct RequestError {
  std::string field;    // the member: "domain", "mx", "mx[1]", ...; "" for the body as a whole
  std::string message;  // one sentence for the administrator, without the field name

  friend bool operator==(const RequestError&, const RequestError&) = default;
};

// Parses a POST /v1/domains body: a JSON object of at most kMaxAdminBodySize bytes with the
// members domain (required; a host name, U-labels converted to A-labels, at least two labels,
// short enough for "_mta-sts.<domain>"), mode ("enforce", "testing" or "none"), mx (an array of
// at most kHostedMaxMx strings, each a pattern check_mx_entry accepts: parse_mx_pattern, no IP
// addresses), max_age (an integer 1..31557600; no fraction, no exponent, no string) and records
// ("self" or "delegated"). Errors name the member: field "" for a body that is too large, not
// JSON or not an object; the member's name for an unknown or repeated member, a wrong type or a
// value out of range; "mx[i]" for the i-th pattern (from 0).
[[nodiscard]] tl::expected<DomainCreate, RequestError> parse_domain_create(std::string_view json);

// Parses a PATCH /v1/domains/{d} body: as parse_domain_create() with the members mode, mx and
// max_age only, at least one of them (field "" otherwise).
[[nodiscard]] tl::expected<DomainUpdate, RequestError> parse_domain_update(std::string_view json);

// The first policy of a new domain: the request's members over `proposed` (what
// propose_hosted_policy() made of the live MX records), through validate_hosted_policy().
// Errors: the field at fault ("mx" when no mx pattern is left for a mode that needs one).
[[nodiscard]] tl::expected<HostedPolicy, RequestError> policy_for_create(
    const DomainCreate& request, const HostedPolicy& proposed);

// The policy an update asks for: its members over `current`, through validate_hosted_policy().
[[nodiscard]] tl::expected<HostedPolicy, RequestError> policy_for_update(
    const HostedPolicy& current, const DomainUpdate& request);

// A domain as the API shows it: {"domain", "state", "records_mode", "id", "mode", "mx",
// "max_age", "created_at", "updated_at", "serve_until" (removing only), "policy" (the body
// served, render_hosted_policy), "records": [{"owner", "type", "value", "ttl",
// "managed_by_service"}]}. Times are RFC 3339 UTC (format_utc). Compact, one line.
[[nodiscard]] std::string domain_json(const HostedDomain& domain,
                                      const std::vector<DnsRecordSpec>& records);

// {"error": {"field": ..., "message": ...}}, compact. Bytes that are not UTF-8 become U+FFFD.
[[nodiscard]] std::string request_error_json(const RequestError& error);

}  // namespace mtasts::core
