#pragma once

// Every way MTA-STS policy discovery can end, and the one mapping from those outcomes to the
// RFC 8460 result types a TLS report carries. docs/fetch-outcomes.md is the table in prose.
//
// Glossary:
//   detail       what happened, at the precision an administrator needs (FetchDetail)
//   result type  what a sending MTA does with it and reports (ResultType): a policy, no
//                policy at all, or one of the three RFC 8460 §4.3.2 policy failures

#include <array>
#include <optional>
#include <string_view>

#include "mtasts/core/tlsrpt/result_type.hpp"

namespace mtasts::net {

// The names (detail_name) are part of the command-line and JSON interface: never rename or
// reuse one. Adding a value breaks the build until every switch handles it.
enum class FetchDetail {
  ok,                  // a policy was fetched over validated HTTPS and parsed
  invalid_domain,      // the destination is not a domain name that can have a policy
  address_literal,     // the destination is an address literal: no Policy Domain (§3.4)
  no_record,           // no "_mta-sts" TXT record: NXDOMAIN, NODATA or no v=STSv1 RR
  multiple_records,    // several v=STSv1 TXT records: no policy (§3.1)
  invalid_record,      // exactly one v=STSv1 TXT record, and it does not parse
  cname_loop,          // the CNAME chain of the TXT name loops or is too long
  dns_servfail,        // SERVFAIL or REFUSED for the TXT record or the Policy Host
  dns_timeout,         // no DNS answer within the timeout
  dns_error,           // any other DNS failure: malformed answer, no server reachable
  host_not_found,      // the Policy Host name has no A or AAAA record
  connect,             // no TCP connection to the Policy Host (refused, unreachable, reset)
  proxy,               // the HTTPS proxy could not be reached or refused the CONNECT
  timeout,             // the whole fetch did not finish before its deadline
  tls_handshake,       // TLS failed for a reason other than the certificate (alert, version)
  cert_untrusted,      // the chain does not lead to a trusted root (or is self-signed)
  cert_expired,        // the certificate (or one in its chain) has expired
  cert_not_yet_valid,  // the certificate (or one in its chain) is not valid yet
  cert_name_mismatch,  // no DNS-ID in the certificate matches the Policy Host (§3.3)
  cert_invalid,        // any other certificate validation failure (signature, purpose...)
  http_protocol,       // the response is not valid HTTP/1.1, or its header is too large
  truncated,           // the connection ended before the response was complete
  http_status,         // the status is neither 200 nor 3xx (§3.3: only 200 is valid)
  redirect,            // a 3xx status: redirects MUST NOT be followed (§3.3)
  content_type,        // the media type is missing or not text/plain (§3.2)
  too_large,           // the body is, or is declared to be, over 64 KiB (§3.3)
  parse,               // the body is not a valid policy (§3.2)
  internal,            // mtasts itself failed (out of memory, TLS library error)
};

// What the outcome means for delivery and reporting. The last three are RFC 8460 §4.3.2
// result types; ok and no_policy are not failures and are never reported as such.
enum class ResultType {
  ok,                      // a policy applies (whatever its mode)
  no_policy,               // the domain has no usable MTA-STS record: deliver as without STS
  sts_policy_fetch_error,  // "sts-policy-fetch-error": the policy could not be retrieved
  sts_policy_invalid,      // "sts-policy-invalid": the retrieved policy does not parse
  sts_webpki_invalid,      // "sts-webpki-invalid": the Policy Host failed PKIX validation
};

// Every FetchDetail, in declaration order (for tables and tests).
inline constexpr std::array kAllFetchDetails = {
    FetchDetail::ok,
    FetchDetail::invalid_domain,
    FetchDetail::address_literal,
    FetchDetail::no_record,
    FetchDetail::multiple_records,
    FetchDetail::invalid_record,
    FetchDetail::cname_loop,
    FetchDetail::dns_servfail,
    FetchDetail::dns_timeout,
    FetchDetail::dns_error,
    FetchDetail::host_not_found,
    FetchDetail::connect,
    FetchDetail::proxy,
    FetchDetail::timeout,
    FetchDetail::tls_handshake,
    FetchDetail::cert_untrusted,
    FetchDetail::cert_expired,
    FetchDetail::cert_not_yet_valid,
    FetchDetail::cert_name_mismatch,
    FetchDetail::cert_invalid,
    FetchDetail::http_protocol,
    FetchDetail::truncated,
    FetchDetail::http_status,
    FetchDetail::redirect,
    FetchDetail::content_type,
    FetchDetail::too_large,
    FetchDetail::parse,
    FetchDetail::internal,
};

// The one mapping from a detail to its result type (docs/fetch-outcomes.md).
[[nodiscard]] ResultType to_result_type(FetchDetail detail);

// The stable kebab-case name of a detail, e.g. "cert-name-mismatch".
[[nodiscard]] std::string_view detail_name(FetchDetail detail);

// The inverse of detail_name; nullopt for an unknown name.
[[nodiscard]] std::optional<FetchDetail> detail_from_name(std::string_view name);

// "ok", "no-policy", or the RFC 8460 string, e.g. "sts-webpki-invalid".
[[nodiscard]] std::string_view result_type_name(ResultType type);

// The RFC 8460 result type of a failure; nullopt for ok and no_policy, which are no failures.
[[nodiscard]] std::optional<core::TlsrptResultType> tlsrpt_result_type(ResultType type);

// Classifies an OpenSSL X509_V_ERR_* code (SSL_get_verify_result) into a certificate detail.
// X509_V_OK yields tls_handshake: the handshake failed, but not because of the certificate.
[[nodiscard]] FetchDetail detail_from_verify_result(long verify_result);

}  // namespace mtasts::net
