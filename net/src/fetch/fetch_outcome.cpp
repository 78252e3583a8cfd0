#include "mtasts/net/fetch/fetch_outcome.hpp"

#include <openssl/x509_vfy.h>

namespace mtasts::net {

ResultType to_result_type(FetchDetail detail) {
  switch (detail) {
    case FetchDetail::ok:
      return ResultType::ok;
    // RFC 8461 §3.1: without exactly one usable record the domain has no policy, and §3.4:
    // address literals have no Policy Domain.
    case FetchDetail::invalid_domain:
    case FetchDetail::address_literal:
    case FetchDetail::no_record:
    case FetchDetail::multiple_records:
    case FetchDetail::invalid_record:
    case FetchDetail::cname_loop:
      return ResultType::no_policy;
    // A record may exist but could not be learnt, or the policy could not be retrieved
    // (CONFORMANCE 013, 030, 031, 034; the media type check of 015 is a retrieval failure
    // here, see docs/fetch-outcomes.md).
    case FetchDetail::dns_servfail:
    case FetchDetail::dns_timeout:
    case FetchDetail::dns_error:
    case FetchDetail::host_not_found:
    case FetchDetail::connect:
    case FetchDetail::proxy:
    case FetchDetail::timeout:
    case FetchDetail::http_protocol:
    case FetchDetail::truncated:
    case FetchDetail::http_status:
    case FetchDetail::redirect:
    case FetchDetail::content_type:
    case FetchDetail::too_large:
    case FetchDetail::internal:
      return ResultType::sts_policy_fetch_error;
    // RFC 8461 §3.3 / RFC 8460 §4.3.2: the Policy Host failed PKIX validation.
    case FetchDetail::tls_handshake:
    case FetchDetail::cert_untrusted:
    case FetchDetail::cert_expired:
    case FetchDetail::cert_not_yet_valid:
    case FetchDetail::cert_name_mismatch:
    case FetchDetail::cert_invalid:
      return ResultType::sts_webpki_invalid;
    case FetchDetail::parse:
      return ResultType::sts_policy_invalid;
  }
  return ResultType::sts_policy_fetch_error;  // unreachable: the switch is exhaustive
}

std::string_view detail_name(FetchDetail detail) {
  switch (detail) {
    case FetchDetail::ok:
      return "ok";
    case FetchDetail::invalid_domain:
      return "invalid-domain";
    case FetchDetail::address_literal:
      return "address-literal";
    case FetchDetail::no_record:
      return "no-record";
    case FetchDetail::multiple_records:
      return "multiple-records";
    case FetchDetail::invalid_record:
      return "invalid-record";
    case FetchDetail::cname_loop:
      return "cname-loop";
    case FetchDetail::dns_servfail:
      return "dns-servfail";
    case FetchDetail::dns_timeout:
      return "dns-timeout";
    case FetchDetail::dns_error:
      return "dns-error";
    case FetchDetail::host_not_found:
      return "host-not-found";
    case FetchDetail::connect:
      return "connect";
    case FetchDetail::proxy:
      return "proxy";
    case FetchDetail::timeout:
      return "timeout";
    case FetchDetail::tls_handshake:
      return "tls-handshake";
    case FetchDetail::cert_untrusted:
      return "cert-untrusted";
    case FetchDetail::cert_expired:
      return "cert-expired";
    case FetchDetail::cert_not_yet_valid:
      return "cert-not-yet-valid";
    case FetchDetail::cert_name_mismatch:
      return "cert-name-mismatch";
    case FetchDetail::cert_invalid:
      return "cert-invalid";
    case FetchDetail::http_protocol:
      return "http-protocol";
    case FetchDetail::truncated:
      return "truncated";
    case FetchDetail::http_status:
      return "http-status";
    case FetchDetail::redirect:
      return "redirect";
    case FetchDetail::content_type:
      return "content-type";
    case FetchDetail::too_large:
      return "too-large";
    case FetchDetail::parse:
      return "parse";
    case FetchDetail::internal:
      return "internal";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::optional<FetchDetail> detail_from_name(std::string_view name) {
  for (FetchDetail detail : kAllFetchDetails) {
    if (detail_name(detail) == name) {
      return detail;
    }
  }
  return std::nullopt;
}

std::string_view result_type_name(ResultType type) {
  switch (type) {
    case ResultType::ok:
      return "ok";
    case ResultType::no_policy:
      return "no-policy";
    case ResultType::sts_policy_fetch_error:
    case ResultType::sts_policy_invalid:
    case ResultType::sts_webpki_invalid:
      return core::to_string(*tlsrpt_result_type(type));
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::optional<core::TlsrptResultType> tlsrpt_result_type(ResultType type) {
  switch (type) {
    case ResultType::ok:
    case ResultType::no_policy:
      return std::nullopt;
    case ResultType::sts_policy_fetch_error:
      return core::TlsrptResultType::sts_policy_fetch_error;
    case ResultType::sts_policy_invalid:
      return core::TlsrptResultType::sts_policy_invalid;
    case ResultType::sts_webpki_invalid:
      return core::TlsrptResultType::sts_webpki_invalid;
  }
  return std::nullopt;  // unreachable: the switch is exhaustive
}

FetchDetail detail_from_verify_result(long verify_result) {
  switch (verify_result) {
    case X509_V_OK:
      return FetchDetail::tls_handshake;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return FetchDetail::cert_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return FetchDetail::cert_not_yet_valid;
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return FetchDetail::cert_name_mismatch;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_INVALID_CA:
      return FetchDetail::cert_untrusted;
    default:
      // Open set of OpenSSL codes (not our enum): signature, purpose, revocation, policy...
      return FetchDetail::cert_invalid;
  }
}

}  // namespace mtasts::net
