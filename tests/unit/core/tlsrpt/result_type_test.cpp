#include "mtasts/core/tlsrpt/result_type.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace mtasts::core {
namespace {

using T = TlsrptResultType;

// RFC 8460 §4.3.1 and §4.3.2, every result type the RFC defines.
constexpr std::pair<T, std::string_view> kTable[] = {
    {T::starttls_not_supported, "starttls-not-supported"},
    {T::certificate_host_mismatch, "certificate-host-mismatch"},
    {T::certificate_expired, "certificate-expired"},
    {T::certificate_not_trusted, "certificate-not-trusted"},
    {T::validation_failure, "validation-failure"},
    {T::tlsa_invalid, "tlsa-invalid"},
    {T::dnssec_invalid, "dnssec-invalid"},
    {T::dane_required, "dane-required"},
    {T::sts_policy_fetch_error, "sts-policy-fetch-error"},
    {T::sts_policy_invalid, "sts-policy-invalid"},
    {T::sts_webpki_invalid, "sts-webpki-invalid"},
};

TEST(TlsrptResultType, EveryType_HasItsRfc8460StringAndBack) {
  ASSERT_EQ(std::size(kTable), std::size(kAllTlsrptResultTypes));
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    const auto& [type, text] = kTable[i];
    EXPECT_EQ(kAllTlsrptResultTypes[i], type) << text;
    EXPECT_EQ(to_string(type), text);
    EXPECT_EQ(tlsrpt_result_type_from_string(text), type) << text;
  }
}

TEST(TlsrptResultType, UnknownString_IsNullopt) {
  EXPECT_EQ(tlsrpt_result_type_from_string("ok"), std::nullopt);
  EXPECT_EQ(tlsrpt_result_type_from_string("STS-POLICY-INVALID"), std::nullopt);
  EXPECT_EQ(tlsrpt_result_type_from_string(""), std::nullopt);
}

}  // namespace
}  // namespace mtasts::core
