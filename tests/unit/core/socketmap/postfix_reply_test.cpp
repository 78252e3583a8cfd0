#include "mtasts/core/socketmap/postfix_reply.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "golden.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {
namespace {

// Builds the policy of a golden row as given, without validation: hostile rows hold patterns
// the policy parser would never produce, to prove the renderer does not trust its input.
Policy policy_from(const nlohmann::json& spec) {
  static const std::map<std::string, PolicyMode> kModes = {{"enforce", PolicyMode::enforce},
                                                           {"testing", PolicyMode::testing},
                                                           {"none", PolicyMode::none}};
  Policy policy;
  policy.mode = kModes.at(spec.at("mode").get<std::string>());
  policy.max_age = spec.at("max_age").get<std::uint32_t>();
  auto mx = spec.at("mx").get<std::vector<std::string>>();
  for (int i = 0; i < spec.value("generate_mx", 0); ++i) {
    mx.push_back("mx" + std::to_string(i) + ".example.com");
  }
  for (const std::string& text : mx) {
    const bool wildcard = text.rfind("*.", 0) == 0;
    policy.mx.push_back(MxPattern{wildcard, wildcard ? text.substr(2) : text});
  }
  if (spec.contains("lines")) {
    for (const auto& line : spec.at("lines").get<std::vector<std::string>>()) {
      policy.lines.push_back(line);
    }
  } else {
    policy.lines.push_back("version: STSv1");
    policy.lines.push_back("mode: " + spec.at("mode").get<std::string>());
    for (const std::string& text : mx) {
      policy.lines.push_back("mx: " + text);
    }
    policy.lines.push_back("max_age: " + std::to_string(policy.max_age));
  }
  for (const auto& line : spec.value("extra_lines", std::vector<std::string>{})) {
    policy.lines.push_back(line);
  }
  return policy;
}

std::string trim_label(ReplyTrim trim) {
  switch (trim) {
    case ReplyTrim::none:
      return "none";
    case ReplyTrim::policy_strings:
      return "policy_strings";
    case ReplyTrim::mx_host_patterns:
      return "mx_host_patterns";
    case ReplyTrim::tlsrpt_attributes:
      return "tlsrpt_attributes";
  }
  return "?";
}

// Renders a golden row: a fixed reply, a status with a reason, or a policy reply.
PostfixReply render_row(const nlohmann::json& input) {
  const std::string render = input.value("render", "policy");
  const std::string reason = input.value("reason", "");
  if (render == "notfound") {
    return PostfixReply{.kind = ReplyKind::notfound, .text = render_notfound()};
  }
  if (render == "temp") {
    return PostfixReply{.kind = ReplyKind::temp, .text = render_temp(reason)};
  }
  if (render == "perm") {
    return PostfixReply{.kind = ReplyKind::perm, .text = render_perm(reason)};
  }
  if (render == "timeout") {
    return PostfixReply{.kind = ReplyKind::timeout, .text = render_timeout(reason)};
  }
  static const std::map<std::string, PolicyFailure> kFailures = {
      {"sts-policy-fetch-error", PolicyFailure::sts_policy_fetch_error},
      {"sts-policy-invalid", PolicyFailure::sts_policy_invalid},
      {"sts-webpki-invalid", PolicyFailure::sts_webpki_invalid},
      {"validation-failure", PolicyFailure::validation_failure}};
  const Policy policy = policy_from(input.at("policy"));
  const std::string domain = input.at("domain").get<std::string>();
  const nlohmann::json options = input.value("options", nlohmann::json::object());
  const auto hosts = options.value("mx_hosts", std::vector<std::string>{});
  ReplyInput reply_input{
      .policy_domain = domain,
      .policy = policy,
      .form = options.value("form", "patterns") == "mx_hosts" ? MatchForm::mx_hosts
                                                              : MatchForm::patterns,
      .mx_hosts = hosts,
      .sni = options.value("sni", "hostname") == "off" ? SniMode::off : SniMode::hostname,
      .testing = options.value("testing", "report_only") == "strict" ? TestingMode::strict
                                                                     : TestingMode::report_only,
      .tlsrpt =
          options.value("tlsrpt", "off") == "on" ? TlsrptAttributes::on : TlsrptAttributes::off,
  };
  if (options.contains("failure")) {
    reply_input.failure = kFailures.at(options.at("failure").get<std::string>());
  }
  reply_input.max_reply = options.value("max_reply", kPostfixMaxReply);
  return render_policy_reply(reply_input);
}

// Properties every reply has, whatever went in.
void expect_well_formed(const std::string& text, std::size_t limit) {
  EXPECT_LE(text.size(), std::max(limit, kMinReplyLimit));
  int depth = 0;
  for (const char c : text) {
    ASSERT_TRUE(c >= 0x20 && c <= 0x7e) << "byte " << static_cast<int>(c);
    depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    ASSERT_GE(depth, 0);
    ASSERT_LE(depth, 1);
  }
  EXPECT_EQ(depth, 0);
}

class PostfixReplyGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(PostfixReplyGolden, Case_MatchesExpectation) {
  const nlohmann::json& row = GetParam();
  const nlohmann::json& expect = row.at("expect");
  const PostfixReply reply = render_row(row.at("input"));
  EXPECT_EQ(reply_kind_name(reply.kind), expect.at("kind").get<std::string>());
  if (expect.contains("text")) {
    EXPECT_EQ(reply.text, expect.at("text").get<std::string>());
  }
  if (expect.contains("prefix")) {
    EXPECT_EQ(reply.text.rfind(expect.at("prefix").get<std::string>(), 0), 0u) << reply.text;
  }
  for (const auto& part : expect.value("contains", std::vector<std::string>{})) {
    EXPECT_NE(reply.text.find(part), std::string::npos) << part;
  }
  for (const auto& part : expect.value("not_contains", std::vector<std::string>{})) {
    EXPECT_EQ(reply.text.find(part), std::string::npos) << part << " in " << reply.text;
  }
  if (expect.contains("max_length")) {
    EXPECT_LE(reply.text.size(), expect.at("max_length").get<std::size_t>());
  }
  if (expect.contains("trim")) {
    EXPECT_EQ(trim_label(reply.trim), expect.at("trim").get<std::string>());
  }
  EXPECT_EQ(reply.dropped_patterns, expect.value("dropped_patterns", 0u));
  EXPECT_EQ(reply.dropped_lines, expect.value("dropped_lines", 0u));
  const auto options = row.at("input").value("options", nlohmann::json::object());
  expect_well_formed(reply.text, options.value("max_reply", kPostfixMaxReply));
}

INSTANTIATE_TEST_SUITE_P(Golden, PostfixReplyGolden,
                         ::testing::ValuesIn(mtasts::testing::load_golden("postfix_reply.jsonl")),
                         mtasts::testing::golden_name);

TEST(PostfixReply, EveryReplyKind_HasItsProtocolWord) {
  EXPECT_EQ(reply_kind_name(ReplyKind::ok), "OK");
  EXPECT_EQ(reply_kind_name(ReplyKind::notfound), "NOTFOUND");
  EXPECT_EQ(reply_kind_name(ReplyKind::temp), "TEMP");
  EXPECT_EQ(reply_kind_name(ReplyKind::perm), "PERM");
  EXPECT_EQ(reply_kind_name(ReplyKind::timeout), "TIMEOUT");
}

TEST(PostfixReply, EveryPolicyFailure_HasItsRfc8460ResultType) {
  const std::pair<PolicyFailure, TlsrptResultType> table[] = {
      {PolicyFailure::sts_policy_fetch_error, TlsrptResultType::sts_policy_fetch_error},
      {PolicyFailure::sts_policy_invalid, TlsrptResultType::sts_policy_invalid},
      {PolicyFailure::sts_webpki_invalid, TlsrptResultType::sts_webpki_invalid},
      {PolicyFailure::validation_failure, TlsrptResultType::validation_failure},
  };
  for (const auto& [failure, type] : table) {
    EXPECT_EQ(tlsrpt_result_type(failure), type) << to_string(type);
  }
}

TEST(PostfixReply, ParsedPolicyWithTlsrpt_PeerFormByteExact) {
  const auto policy =
      parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n");
  ASSERT_TRUE(policy.has_value()) << policy.error().message;
  const PostfixReply reply = render_policy_reply(ReplyInput{
      .policy_domain = "example.com", .policy = *policy, .tlsrpt = TlsrptAttributes::on});
  EXPECT_EQ(reply.text,
            "OK secure match=mail.example.com servername=hostname policy_type=sts "
            "policy_domain=example.com mx_host_pattern=mail.example.com "
            "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
            "{ policy_string = mx: mail.example.com } { policy_string = max_age: 86400 }");
}

TEST(PostfixReply, LimitBelowMinimum_RaisedSoTempFits) {
  Policy policy;
  policy.mode = PolicyMode::enforce;
  for (int i = 0; i < 100; ++i) {
    policy.mx.push_back(MxPattern{false, "mx" + std::to_string(i) + ".example.com"});
  }
  const PostfixReply reply = render_policy_reply(
      ReplyInput{.policy_domain = "example.com", .policy = policy, .max_reply = 1});
  EXPECT_EQ(reply.kind, ReplyKind::temp);
  EXPECT_LE(reply.text.size(), kMinReplyLimit);
}

TEST(PostfixReply, TempReasonOfEveryByte_PrintableAndBounded) {
  std::string reason;
  for (int byte = 0; byte < 256; ++byte) {
    reason += static_cast<char>(byte);
  }
  const std::string text = render_temp(reason);
  EXPECT_EQ(text.rfind("TEMP ", 0), 0u);
  EXPECT_LE(text.size(), 5 + kMaxReasonLength);
  expect_well_formed(text, kPostfixMaxReply);
}

}  // namespace
}  // namespace mtasts::core
