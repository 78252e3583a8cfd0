#include "mtasts/net/fetch/fetch_outcome.hpp"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <set>
#include <string>

#include "mtasts/net/check/http_checks.hpp"

namespace mtasts::net {
namespace {

using enum FetchDetail;
using R = ResultType;

struct Row {
  FetchDetail detail;
  const char* name;
  ResultType result;
};

// The table of docs/fetch-outcomes.md. Every detail appears exactly once.
constexpr Row kTable[] = {
    {ok, "ok", R::ok},
    {invalid_domain, "invalid-domain", R::no_policy},
    {address_literal, "address-literal", R::no_policy},
    {no_record, "no-record", R::no_policy},
    {multiple_records, "multiple-records", R::no_policy},
    {invalid_record, "invalid-record", R::no_policy},
    {cname_loop, "cname-loop", R::no_policy},
    {dns_servfail, "dns-servfail", R::sts_policy_fetch_error},
    {dns_timeout, "dns-timeout", R::sts_policy_fetch_error},
    {dns_error, "dns-error", R::sts_policy_fetch_error},
    {host_not_found, "host-not-found", R::sts_policy_fetch_error},
    {connect, "connect", R::sts_policy_fetch_error},
    {proxy, "proxy", R::sts_policy_fetch_error},
    {timeout, "timeout", R::sts_policy_fetch_error},
    {tls_handshake, "tls-handshake", R::sts_webpki_invalid},
    {cert_untrusted, "cert-untrusted", R::sts_webpki_invalid},
    {cert_expired, "cert-expired", R::sts_webpki_invalid},
    {cert_not_yet_valid, "cert-not-yet-valid", R::sts_webpki_invalid},
    {cert_name_mismatch, "cert-name-mismatch", R::sts_webpki_invalid},
    {cert_invalid, "cert-invalid", R::sts_webpki_invalid},
    {http_protocol, "http-protocol", R::sts_policy_fetch_error},
    {truncated, "truncated", R::sts_policy_fetch_error},
    {http_status, "http-status", R::sts_policy_fetch_error},
    {redirect, "redirect", R::sts_policy_fetch_error},
    {content_type, "content-type", R::sts_policy_fetch_error},
    {too_large, "too-large", R::sts_policy_fetch_error},
    {parse, "parse", R::sts_policy_invalid},
    {internal, "internal", R::sts_policy_fetch_error},
};

TEST(FetchOutcome, EveryDetail_MapsAsDocumented) {
  ASSERT_EQ(std::size(kTable), kAllFetchDetails.size());
  for (std::size_t i = 0; i < kAllFetchDetails.size(); ++i) {
    const Row& row = kTable[i];
    EXPECT_EQ(row.detail, kAllFetchDetails[i]) << row.name;
    EXPECT_EQ(detail_name(row.detail), row.name);
    EXPECT_EQ(to_result_type(row.detail), row.result) << row.name;
    EXPECT_EQ(detail_from_name(row.name), row.detail) << row.name;
  }
  EXPECT_EQ(detail_from_name("no-such-detail"), std::nullopt);
}

TEST(FetchOutcome, DetailNames_AreUniqueKebabCase) {
  std::set<std::string_view> seen;
  for (FetchDetail detail : kAllFetchDetails) {
    const std::string_view name = detail_name(detail);
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string_view::npos);
  }
}

TEST(FetchOutcome, ResultTypeNames_AreTheRfc8460Strings) {
  EXPECT_EQ(result_type_name(R::ok), "ok");
  EXPECT_EQ(result_type_name(R::no_policy), "no-policy");
  EXPECT_EQ(result_type_name(R::sts_policy_fetch_error), "sts-policy-fetch-error");
  EXPECT_EQ(result_type_name(R::sts_policy_invalid), "sts-policy-invalid");
  EXPECT_EQ(result_type_name(R::sts_webpki_invalid), "sts-webpki-invalid");
}

TEST(FetchOutcome, ResultTypes_MapOntoTheRfc8460Enum) {
  using T = core::TlsrptResultType;
  const std::pair<R, std::optional<T>> table[] = {
      {R::ok, std::nullopt},
      {R::no_policy, std::nullopt},
      {R::sts_policy_fetch_error, T::sts_policy_fetch_error},
      {R::sts_policy_invalid, T::sts_policy_invalid},
      {R::sts_webpki_invalid, T::sts_webpki_invalid},
  };
  for (const auto& [result, type] : table) {
    EXPECT_EQ(tlsrpt_result_type(result), type) << result_type_name(result);
  }
}

TEST(FetchOutcome, VerifyResults_ClassifyCertificateFailures) {
  struct Case {
    long code;
    FetchDetail detail;
  };
  for (const Case& c : {
           Case{X509_V_OK, tls_handshake},
           Case{X509_V_ERR_CERT_HAS_EXPIRED, cert_expired},
           Case{X509_V_ERR_CERT_NOT_YET_VALID, cert_not_yet_valid},
           Case{X509_V_ERR_HOSTNAME_MISMATCH, cert_name_mismatch},
           Case{X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, cert_untrusted},
           Case{X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, cert_untrusted},
           Case{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, cert_untrusted},
           Case{X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, cert_untrusted},
           Case{X509_V_ERR_CERT_SIGNATURE_FAILURE, cert_invalid},
           Case{X509_V_ERR_INVALID_PURPOSE, cert_invalid},
           Case{X509_V_ERR_CERT_REVOKED, cert_invalid},
       }) {
    EXPECT_EQ(detail_from_verify_result(c.code), c.detail) << c.code;
    EXPECT_EQ(to_result_type(detail_from_verify_result(c.code)), R::sts_webpki_invalid);
  }
}

TEST(HttpChecks, Status_Only200IsValidAnd3xxIsARedirect) {
  EXPECT_EQ(classify_status(200), ok);
  for (unsigned status : {300u, 301u, 302u, 303u, 304u, 307u, 308u}) {
    EXPECT_EQ(classify_status(status), redirect) << status;
  }
  for (unsigned status : {100u, 201u, 203u, 204u, 206u, 400u, 404u, 410u, 500u, 503u}) {
    EXPECT_EQ(classify_status(status), http_status) << status;
  }
}

TEST(HttpChecks, MediaType_TextPlainWithAnyParameters) {
  for (const char* accepted :
       {"text/plain", "text/plain; charset=utf-8", "Text/Plain; charset=\"UTF-8\"", "TEXT/PLAIN",
        " text/plain ", "text/plain;charset=us-ascii", "text/plain; format=flowed",
        "text/plain; charset=iso-8859-1"}) {
    EXPECT_TRUE(is_text_plain(accepted)) << accepted;
  }
  for (const char* refused : {"", "text/html", "application/octet-stream", "text/plainx",
                              "text/ plain", "text", "plain/text", "text/plain2; x=y"}) {
    EXPECT_FALSE(is_text_plain(refused)) << refused;
  }
}

}  // namespace
}  // namespace mtasts::net
