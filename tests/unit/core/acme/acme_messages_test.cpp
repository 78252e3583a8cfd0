// ACME messages (core/acme_messages.hpp): the golden table of server objects
// (tests/testdata/golden/acme_messages.jsonl), then payloads, JWS pieces and the
// header grammars.

#include "mtasts/core/acme/acme_messages.hpp"

#include "golden.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using nlohmann::json;

json optional_text(const std::optional<std::string>& text) {
  return text ? json(*text) : json(nullptr);
}

std::string identifier_text(const AcmeIdentifier& identifier) {
  return identifier.type + ":" + identifier.value;
}

json summary_of(const AcmeDirectory& d) {
  return {{"new_nonce", d.new_nonce},   {"new_account", d.new_account},
          {"new_order", d.new_order},   {"revoke_cert", d.revoke_cert},
          {"key_change", d.key_change}, {"terms_of_service", optional_text(d.terms_of_service)}};
}

json summary_of(const AcmeAccountObject& a) {
  return {{"status", to_string(a.status)}, {"orders", optional_text(a.orders)}};
}

json summary_of(const AcmeOrder& o) {
  json identifiers = json::array();
  for (const auto& i : o.identifiers) {
    identifiers.push_back(identifier_text(i));
  }
  return {{"status", to_string(o.status)},
          {"expires", optional_text(o.expires)},
          {"identifiers", identifiers},
          {"authorizations", o.authorizations},
          {"finalize", o.finalize},
          {"certificate", optional_text(o.certificate)},
          {"error", o.error ? json(o.error->type) : json(nullptr)}};
}

json summary_of(const AcmeChallenge& c) {
  return {{"type", c.type},
          {"url", c.url},
          {"status", to_string(c.status)},
          {"token", c.token},
          {"validated", optional_text(c.validated)},
          {"error", c.error ? json(c.error->type) : json(nullptr)}};
}

json summary_of(const AcmeAuthorization& z) {
  json challenges = json::array();
  for (const auto& c : z.challenges) {
    challenges.push_back(c.type + " " + std::string(to_string(c.status)) +
                         (c.error ? " " + c.error->type : ""));
  }
  return {{"status", to_string(z.status)},
          {"identifier", identifier_text(z.identifier)},
          {"wildcard", z.wildcard},
          {"expires", optional_text(z.expires)},
          {"challenges", challenges}};
}

json summary_of(const AcmeProblem& p) {
  json subproblems = json::array();
  for (const auto& s : p.subproblems) {
    subproblems.push_back(s.type + (s.identifier ? " " + identifier_text(*s.identifier) : ""));
  }
  return {{"type", p.type},
          {"detail", p.detail},
          {"status", p.status ? json(*p.status) : json(nullptr)},
          {"subproblems", subproblems}};
}

// The parse of one row: ok with a summary, or the error code and message.
template <class T>
std::tuple<bool, json, std::string, std::string> outcome(const Result<T>& result) {
  if (result) {
    return {true, summary_of(*result), "", ""};
  }
  return {false, nullptr, std::string(result.error().code.name()), result.error().message};
}

std::tuple<bool, json, std::string, std::string> parse_row(const std::string& kind,
                                                           const std::string& input) {
  if (kind == "directory") {
    return outcome(parse_acme_directory(input));
  }
  if (kind == "account") {
    return outcome(parse_acme_account(input));
  }
  if (kind == "order") {
    return outcome(parse_acme_order(input));
  }
  if (kind == "authorization") {
    return outcome(parse_acme_authorization(input));
  }
  if (kind == "challenge") {
    return outcome(parse_acme_challenge(input));
  }
  return outcome(parse_acme_problem(input));
}

class AcmeGolden : public ::testing::TestWithParam<json> {};

TEST_P(AcmeGolden, ParsesAsExpected) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const auto [ok, summary, errc, message] =
      parse_row(row.at("kind").get<std::string>(), row.at("input").get<std::string>());
  ASSERT_EQ(ok, expect.at("ok").get<bool>()) << message;
  if (expect.contains("summary")) {
    EXPECT_EQ(summary, expect.at("summary"));
  }
  if (expect.contains("errc")) {
    EXPECT_EQ(errc, expect.at("errc").get<std::string>()) << message;
  }
  if (!ok) {
    EXPECT_FALSE(message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, AcmeGolden,
                         ::testing::ValuesIn(load_golden("acme_messages.jsonl")), golden_name);

TEST(AcmeMessages, Parse_InvalidUtf8OrOversize_IsRefusedWithoutThrowing) {
  EXPECT_EQ(parse_acme_problem("{\"detail\":\"\xff\xfe\"}").error().code, Errc::invalid_syntax);
  const std::string huge = "{\"x\":\"" + std::string(kMaxAcmeMessageSize, 'a') + "\"}";
  EXPECT_EQ(parse_acme_order(huge).error().code, Errc::too_large);
  EXPECT_EQ(parse_acme_directory("").error().code, Errc::invalid_syntax);
  // Brackets inside strings do not count as nesting.
  EXPECT_TRUE(parse_acme_problem("{\"detail\":\"" + std::string(100, '[') + "\"}"));
}

TEST(AcmeToken, Rfc8555Section83_Needs128BitsOfBase64url) {
  EXPECT_TRUE(is_valid_acme_token("gAnFTP2Yagi9yMwgKNU2B71C6Mw0wWLrcvtfdNtrPlY"));
  EXPECT_TRUE(is_valid_acme_token(std::string(22, 'A')));  // 16 bytes and 4 zero bits
  EXPECT_FALSE(is_valid_acme_token(std::string(21, 'A')));
  EXPECT_FALSE(is_valid_acme_token("aaaaaaaaaaaaaaaaaaaaaa/.."));
  EXPECT_FALSE(is_valid_acme_token(std::string(kMaxAcmeTokenLength + 4, 'A')));
}

// RFC 7515 Appendix A.3's P-256 key.
EcPublicKey example_key() {
  return {base64url_decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").value(),
          base64url_decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").value()};
}

TEST(AcmeJws, ThumbprintInput_IsRfc7638Canonical) {
  EXPECT_EQ(jwk_thumbprint_input(example_key()),
            R"({"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
}

TEST(AcmeJws, ProtectedHeader_JwkForNewAccountKidOtherwise) {
  EXPECT_EQ(jws_protected_header(example_key(), "", "n0nce", "https://ca.test/new-acct"),
            R"({"alg":"ES256","jwk":{"crv":"P-256","kty":"EC",)"
            R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},)"
            R"("nonce":"n0nce","url":"https://ca.test/new-acct"})");
  EXPECT_EQ(jws_protected_header(example_key(), "https://ca.test/acct/1", "n", "https://u"),
            R"({"alg":"ES256","kid":"https://ca.test/acct/1","nonce":"n","url":"https://u"})");
}

TEST(AcmeJws, FlattenedSerialization_PostAsGetHasEmptyPayload) {
  EXPECT_EQ(jws_signing_input("{}", ""), "e30.");
  EXPECT_EQ(jws_flattened("{}", "", "\x01\x02"),
            R"({"payload":"","protected":"e30","signature":"AQI"})");
}

TEST(AcmePayloads, Rfc8555Section73And74_Shapes) {
  EXPECT_EQ(acme_new_account_payload({"mailto:a@b.test"}, true),
            R"({"contact":["mailto:a@b.test"],"termsOfServiceAgreed":true})");
  EXPECT_EQ(acme_new_account_payload({}, false), "{}");
  EXPECT_EQ(acme_new_order_payload({"a.test", "b.test"}),
            R"({"identifiers":[{"type":"dns","value":"a.test"},{"type":"dns","value":"b.test"}]})");
  EXPECT_EQ(acme_challenge_response_payload(), "{}");
  EXPECT_EQ(acme_finalize_payload("\x30\x82"), R"({"csr":"MII"})");
  // Bad UTF-8 from a configuration never throws.
  EXPECT_FALSE(acme_new_account_payload({"mailto:\xff@x"}, true).empty());
}

TEST(AcmeHeaders, RetryAfter_SecondsOrImfFixdate) {
  EXPECT_EQ(parse_retry_after("120", 0), 120);
  EXPECT_EQ(parse_retry_after(" 5 ", 0), 5);
  EXPECT_EQ(parse_retry_after("99999999999999999999", 0), 86400);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0);
  EXPECT_EQ(parse_retry_after("Wed, 03 Dec 2026 07:00:00 GMT", 1796281200 - 1), 1);
  EXPECT_FALSE(parse_retry_after("", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
  EXPECT_FALSE(parse_retry_after("-1", 0));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0));
}

TEST(AcmeHeaders, ReplayNonce_IsBase64url) {
  EXPECT_TRUE(is_valid_replay_nonce("oFvnlFP1wIhRlYS2jTaXbA"));
  EXPECT_FALSE(is_valid_replay_nonce(""));
  EXPECT_FALSE(is_valid_replay_nonce("a b"));
  EXPECT_FALSE(is_valid_replay_nonce("abc="));
}

TEST(AcmeHeaders, Link_UriAndRel) {
  const auto links = parse_link_header(
      R"(<https://ca.test/dir>;rel="index", <https://ca.test/cert/1/alt>; rel=alternate)");
  ASSERT_EQ(links.size(), 2U);
  EXPECT_EQ(links[0].uri, "https://ca.test/dir");
  EXPECT_EQ(links[0].rel, "index");
  EXPECT_EQ(links[1].uri, "https://ca.test/cert/1/alt");
  EXPECT_EQ(links[1].rel, "alternate");
  EXPECT_TRUE(parse_link_header("garbage").empty());
}

TEST(AcmeUrl, HttpsOnly_HostPortTarget) {
  const auto url = parse_https_url("https://Pebble.Test:14000/dir?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "pebble.test");
  EXPECT_EQ(url->port, 14000);
  EXPECT_EQ(url->target, "/dir?x=1");
  const auto v6 = parse_https_url("https://[::1]/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 443);
  EXPECT_EQ(parse_https_url("https://ca.test")->target, "/");
  EXPECT_EQ(parse_https_url("https://ca.test?q")->target, "/?q");
  for (const std::string bad :
       {"http://ca.test/", "https://", "https://:443/", "https://u@ca.test/", "https://ca.test:0/",
        "https://ca.test:99999/", "https://ca.test/a b", "https://ca.test/#f", "https://[::1/",
        "https://ca.test:x/", "https://ca_test\r\n/"}) {
    EXPECT_FALSE(parse_https_url(bad)) << bad;
  }
}

TEST(AcmeErrors, IsAcmeError_MatchesTheWholeUrn) {
  EXPECT_TRUE(is_acme_error("urn:ietf:params:acme:error:badNonce", "badNonce"));
  EXPECT_FALSE(is_acme_error("urn:ietf:params:acme:error:badNonceX", "badNonce"));
  EXPECT_FALSE(is_acme_error("badNonce", "badNonce"));
}

}  // namespace
}  // namespace mtasts::core
