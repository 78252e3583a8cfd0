#include "mtasts/core/tlsrpt/result_type.hpp"

namespace mtasts::core {

std::string_view to_string(TlsrptResultType type) {
  switch (type) {
    case TlsrptResultType::starttls_not_supported:
      return "starttls-not-supported";
    case TlsrptResultType::certificate_host_mismatch:
      return "certificate-host-mismatch";
    case TlsrptResultType::certificate_expired:
      return "certificate-expired";
    case TlsrptResultType::certificate_not_trusted:
      return "certificate-not-trusted";
    case TlsrptResultType::validation_failure:
      return "validation-failure";
    case TlsrptResultType::tlsa_invalid:
      return "tlsa-invalid";
    case TlsrptResultType::dnssec_invalid:
      return "dnssec-invalid";
    case TlsrptResultType::dane_required:
      return "dane-required";
    case TlsrptResultType::sts_policy_fetch_error:
      return "sts-policy-fetch-error";
    case TlsrptResultType::sts_policy_invalid:
      return "sts-policy-invalid";
    case TlsrptResultType::sts_webpki_invalid:
      return "sts-webpki-invalid";
  }
  return "validation-failure";  // unreachable: the switch is exhaustive
}

std::optional<TlsrptResultType> tlsrpt_result_type_from_string(std::string_view text) {
  for (const TlsrptResultType type : kAllTlsrptResultTypes) {
    if (to_string(type) == text) {
      return type;
    }
  }
  return std::nullopt;
}

}  // namespace mtasts::core
