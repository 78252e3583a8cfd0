// SmtpSession over tests/testdata/golden/smtp_session.jsonl: each row's chunks fed as they are,
// then byte by byte and all at once (every cut gives the same transcript).

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "golden.hpp"
#include "mtasts/core/smtp/smtp_session.hpp"

namespace mtasts::core {
namespace {

struct Transcript {
  std::vector<std::string> replies;  // reply lines without CRLF
  nlohmann::json messages = nlohmann::json::array();
  bool closed = false;
  bool bad_line_end = false;  // a reply text that does not end in CRLF
};

std::string_view body_name(SmtpBody body) {
  switch (body) {
    case SmtpBody::unspecified:
      return "unspecified";
    case SmtpBody::seven_bit:
      return "7bit";
    case SmtpBody::eight_bit_mime:
      return "8bitmime";
  }
  return "?";
}

bool listed(const nlohmann::json& input, const char* key, const std::string& address) {
  const auto list = input.value(key, std::vector<std::string>{});
  return std::find(list.begin(), list.end(), address) != list.end();
}

Verdict verdict_named(const std::string& name) {
  return name == "temporary"   ? Verdict::temporary
         : name == "permanent" ? Verdict::permanent
                               : Verdict::accept;
}

void add_replies(Transcript& out, const std::string& text) {
  if (text.size() < 2 || text.substr(text.size() - 2) != "\r\n") {
    out.bad_line_end = true;
  }
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t end = text.find("\r\n", from);
    out.replies.push_back(text.substr(from, end - from));
    from = end == std::string::npos ? text.size() : end + 2;
  }
}

// Drives the session as the server does: after every feed, actions until it needs more.
Transcript run(const nlohmann::json& input, const std::vector<std::string>& chunks) {
  SmtpSessionConfig config;
  config.protocol =
      input.value("protocol", "smtp") == "lmtp" ? SmtpProtocol::lmtp : SmtpProtocol::smtp;
  config.hostname = "mx.test";
  config.limits.max_message_bytes = input.value("max_message", 1000U);
  config.limits.max_recipients = input.value("max_recipients", 100U);
  config.limits.max_errors = input.value("max_errors", 10U);
  SmtpSession session(config);
  Transcript out;
  const auto deliver = input.value("deliver", std::vector<std::string>{});
  auto drain = [&] {
    for (;;) {
      SmtpAction action = session.next();
      switch (action.kind) {
        case SmtpAction::Kind::need_more:
          return;
        case SmtpAction::Kind::reply:
          add_replies(out, action.text);
          break;
        case SmtpAction::Kind::check_recipient: {
          const Verdict verdict = listed(input, "reject", action.text)     ? Verdict::permanent
                                  : listed(input, "tempfail", action.text) ? Verdict::temporary
                                                                           : Verdict::accept;
          EXPECT_EQ(session.phase(), SmtpPhase::waiting);
          session.answer_recipient({verdict, std::nullopt});
          break;
        }
        case SmtpAction::Kind::deliver: {
          const SmtpEnvelope& e = action.envelope;
          out.messages.push_back({{"helo", e.helo},
                                  {"from", e.mail_from},
                                  {"to", e.recipients},
                                  {"message", e.message},
                                  {"body", body_name(e.body)}});
          std::vector<DeliveryVerdict> verdicts(e.recipients.size());
          for (std::size_t i = 0; i < verdicts.size() && i < deliver.size(); ++i) {
            verdicts[i].verdict = verdict_named(deliver[i]);
          }
          if (!deliver.empty()) {
            verdicts.resize(std::min(verdicts.size(), deliver.size()));
          }
          session.answer_delivery(verdicts);
          break;
        }
        case SmtpAction::Kind::close:
          out.closed = true;
          return;
      }
    }
  };
  drain();
  for (const std::string& chunk : chunks) {
    if (out.closed) {
      break;
    }
    session.feed(chunk);
    drain();
  }
  return out;
}

class SmtpSessionGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(SmtpSessionGolden, Transcript_MatchesExpectation) {
  const nlohmann::json& row = GetParam();
  const nlohmann::json& input = row.at("input");
  const nlohmann::json& expect = row.at("expect");
  const auto chunks = input.at("chunks").get<std::vector<std::string>>();
  const Transcript got = run(input, chunks);
  EXPECT_FALSE(got.bad_line_end);
  EXPECT_EQ(got.replies, expect.at("replies").get<std::vector<std::string>>());
  EXPECT_EQ(got.messages, expect.at("messages"));
  EXPECT_EQ(got.closed, expect.at("closed").get<bool>());

  std::string whole;
  for (const std::string& chunk : chunks) {
    whole += chunk;
  }
  std::vector<std::string> bytes;
  for (const char c : whole) {
    bytes.emplace_back(1, c);
  }
  const Transcript by_byte = run(input, bytes);
  EXPECT_EQ(by_byte.replies, got.replies);
  EXPECT_EQ(by_byte.messages, got.messages);
  EXPECT_EQ(by_byte.closed, got.closed);
  const Transcript at_once = run(input, {whole});
  EXPECT_EQ(at_once.replies, got.replies);
  EXPECT_EQ(at_once.messages, got.messages);
}

INSTANTIATE_TEST_SUITE_P(Golden, SmtpSessionGolden,
                         ::testing::ValuesIn(testing::load_golden("smtp_session.jsonl")),
                         testing::golden_name);

}  // namespace
}  // namespace mtasts::core
