#pragma once

// The result types of RFC 8460 §4.3, the one vocabulary every TLS-RPT facing outcome maps onto
// (policy fetch failures, the policy_failure attribute of a socketmap reply, metrics, logs).

#include <optional>
#include <string_view>

namespace mtasts::core {

enum class TlsrptResultType {
  // §4.3.1 routing failures and negotiation failures
  starttls_not_supported,     // "starttls-not-supported": the receiver offered no STARTTLS
  certificate_host_mismatch,  // "certificate-host-mismatch": the certificate names another host
  certificate_expired,        // "certificate-expired"
  certificate_not_trusted,    // "certificate-not-trusted": no chain to a trusted root
  validation_failure,         // "validation-failure": any other validation failure
  // §4.3.2.1 DANE
  tlsa_invalid,    // "tlsa-invalid": the TLSA record is invalid
  dnssec_invalid,  // "dnssec-invalid": no valid DNSSEC answer
  dane_required,   // "dane-required": DANE is required but no TLSA record was found
  // §4.3.2.2 MTA-STS
  sts_policy_fetch_error,  // "sts-policy-fetch-error": the policy could not be retrieved
  sts_policy_invalid,      // "sts-policy-invalid": the retrieved policy does not validate
  sts_webpki_invalid,      // "sts-webpki-invalid": the Policy Host failed PKIX validation
};

// Every value, in declaration order (for tables and tests).
inline constexpr TlsrptResultType kAllTlsrptResultTypes[] = {
    TlsrptResultType::starttls_not_supported, TlsrptResultType::certificate_host_mismatch,
    TlsrptResultType::certificate_expired,    TlsrptResultType::certificate_not_trusted,
    TlsrptResultType::validation_failure,     TlsrptResultType::tlsa_invalid,
    TlsrptResultType::dnssec_invalid,         TlsrptResultType::dane_required,
    TlsrptResultType::sts_policy_fetch_error, TlsrptResultType::sts_policy_invalid,
    TlsrptResultType::sts_webpki_invalid,
};

// The RFC 8460 string, e.g. "sts-webpki-invalid".
[[nodiscard]] std::string_view to_string(TlsrptResultType type);

// The inverse of to_string; nullopt for a string RFC 8460 does not define.
[[nodiscard]] std::optional<TlsrptResultType> tlsrpt_result_type_from_string(std::string_view text);

}  // namespace mtasts::core
