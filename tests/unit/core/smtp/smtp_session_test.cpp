#include "mtasts/core/smtp/smtp_session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtasts::core {
namespace {

SmtpSessionConfig config(SmtpProtocol protocol = SmtpProtocol::smtp) {
  SmtpSessionConfig c;
  c.protocol = protocol;
  c.hostname = "mx.test";
  c.peer = "192.0.2.1";
  c.limits.max_message_bytes = 1000;
  return c;
}

// The replies until the session needs more bytes, an answer or the end; that last action is
// kept in `last`.
std::string replies(SmtpSession& session, SmtpAction* last = nullptr) {
  std::string out;
  SmtpAction action = session.next();
  for (; action.kind == SmtpAction::Kind::reply; action = session.next()) {
    out += action.text;
  }
  if (last != nullptr) {
    *last = std::move(action);
  }
  return out;
}

TEST(SmtpSession, Greeting_IsFirstAction) {
  SmtpSession smtp(config());
  EXPECT_EQ(replies(smtp), "220 mx.test ESMTP\r\n");
  SmtpSession lmtp(config(SmtpProtocol::lmtp));
  EXPECT_EQ(replies(lmtp), "220 mx.test LMTP\r\n");
}

TEST(SmtpSession, PendingRecipient_ConsumesNothingUntilAnswered) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\nNOOP\r\n");
  SmtpAction last;
  (void)replies(session, &last);
  ASSERT_EQ(last.kind, SmtpAction::Kind::check_recipient);
  SmtpAction action = session.next();
  EXPECT_EQ(action.kind, SmtpAction::Kind::need_more);
  EXPECT_EQ(session.phase(), SmtpPhase::waiting);
  session.answer_recipient({Verdict::accept, std::nullopt});
  EXPECT_EQ(replies(session), "250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n");
  EXPECT_EQ(session.phase(), SmtpPhase::command);
  EXPECT_FALSE(session.partial_command());
}

TEST(SmtpSession, RecipientVerdict_CustomReplyUsedOnlyWhenClassMatches) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\n");
  SmtpAction last;
  (void)replies(session, &last);
  ASSERT_EQ(last.kind, SmtpAction::Kind::check_recipient);
  EXPECT_EQ(last.text, "r@mx.test");
  session.answer_recipient({Verdict::permanent, SmtpReply{550, "5.7.1", "No reports\r\nhere"}});
  EXPECT_EQ(replies(session), "550 5.7.1 No reports  here\r\n");
  session.feed("RCPT TO:<s@mx.test>\r\n");
  EXPECT_EQ(replies(session, &last), "");
  ASSERT_EQ(last.kind, SmtpAction::Kind::check_recipient);
  session.answer_recipient({Verdict::permanent, SmtpReply{250, "2.1.5", "Ok"}});
  EXPECT_EQ(replies(session), "550 5.1.1 Recipient address rejected: User unknown\r\n");
}

TEST(SmtpSession, Envelope_CarriesHeloAndPeer) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("EHLO client.example extra\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\n");
  SmtpAction last;
  (void)replies(session, &last);
  ASSERT_EQ(last.kind, SmtpAction::Kind::check_recipient);
  session.answer_recipient({Verdict::accept, std::nullopt});
  session.feed("DATA\r\nx\r\n.\r\n");
  SmtpAction action;
  EXPECT_EQ(replies(session, &action), "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  ASSERT_EQ(action.kind, SmtpAction::Kind::deliver);
  EXPECT_EQ(action.envelope.helo, "client.example");
  EXPECT_EQ(action.envelope.peer, "192.0.2.1");
  EXPECT_EQ(action.envelope.message, "x\r\n");
  session.answer_delivery({{Verdict::temporary, SmtpReply{452, "4.3.1", "Disk full"}}});
  EXPECT_EQ(replies(session), "452 4.3.1 Disk full\r\n");
}

TEST(SmtpSession, DataPhase_ReportedUntilTheEnd) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\n");
  (void)replies(session);  // ends at the check
  session.answer_recipient({});
  session.feed("DATA\r\npart");
  (void)replies(session);
  EXPECT_EQ(session.phase(), SmtpPhase::data);
  EXPECT_FALSE(session.partial_command());
}

TEST(SmtpSession, PartialCommand_WhileALineArrives) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("NO");
  (void)replies(session);
  EXPECT_TRUE(session.partial_command());
  session.feed("OP\r\n");
  EXPECT_EQ(replies(session), "250 2.0.0 Ok\r\n");
  EXPECT_FALSE(session.partial_command());
}

struct StopCase {
  SmtpStop why;
  const char* reply;
};

class SmtpSessionStop : public ::testing::TestWithParam<StopCase> {};

TEST_P(SmtpSessionStop, Stop_Sends421ThenCloses) {
  SmtpSession session(config());
  (void)replies(session);
  session.feed("EHLO c\r\nNOOP\r\n");
  EXPECT_EQ(session.stop(GetParam().why), GetParam().reply);
  EXPECT_EQ(session.phase(), SmtpPhase::closed);
  EXPECT_EQ(session.next().kind, SmtpAction::Kind::close);
  EXPECT_EQ(session.stop(GetParam().why), "");
  session.feed("NOOP\r\n");
  EXPECT_EQ(session.next().kind, SmtpAction::Kind::close);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SmtpSessionStop,
    ::testing::Values(StopCase{SmtpStop::shutdown, "421 4.3.2 mx.test Service shutting down\r\n"},
                      StopCase{SmtpStop::timeout,
                               "421 4.4.2 mx.test Error: timeout exceeded\r\n"}));

struct RenderCase {
  SmtpReply reply;
  const char* text;
};

class SmtpReplyRender : public ::testing::TestWithParam<RenderCase> {};

TEST_P(SmtpReplyRender, Render_MatchesTable) {
  EXPECT_EQ(render_smtp_reply(GetParam().reply), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SmtpReplyRender,
    ::testing::Values(RenderCase{{250, "2.1.0", "Ok"}, "250 2.1.0 Ok\r\n"},
                      RenderCase{{250, "", "Ok"}, "250 Ok\r\n"},
                      RenderCase{{550, "4.1.1", "class mismatch"}, "550 class mismatch\r\n"},
                      RenderCase{{550, "5.1", "short"}, "550 short\r\n"},
                      RenderCase{{550, "5.1.1000", "long detail"}, "550 long detail\r\n"},
                      RenderCase{{451, "4.3.0", ""}, "451 4.3.0\r\n"},
                      RenderCase{{99, "2.0.0", "bad code"}, "451 4.3.0 bad code\r\n"},
                      RenderCase{{600, "", "bad code"}, "451 4.3.0 bad code\r\n"},
                      RenderCase{{554, "5.6.0", "a\r\n250 b\x7f"}, "554 5.6.0 a  250 b \r\n"}));

TEST(SmtpReplyRender, LongText_Truncated) {
  const std::string text = render_smtp_reply({250, "2.0.0", std::string(1000, 'x')});
  EXPECT_LT(text.size(), 512U);
}

TEST(SmtpSession, ProtocolNames) {
  EXPECT_EQ(to_string(SmtpProtocol::smtp), "smtp");
  EXPECT_EQ(to_string(SmtpProtocol::lmtp), "lmtp");
}

}  // namespace
}  // namespace mtasts::core
