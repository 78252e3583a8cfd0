#include "mtasts/core/tlsrpt/mail_archive.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtasts::core {
namespace {

TEST(MailArchive, Kind_Table) {
  struct Case {
    std::string text;
    MailFileKind want;
  };
  const std::vector<Case> cases = {
      {"From reports@example.com Mon Dec  7 10:00:00 2026\nFrom: x\n", MailFileKind::mbox},
      {"Return-Path: <a@b>\r\nFrom: a@b\r\n\r\nbody", MailFileKind::message},
      {"DKIM-Signature: v=1; a=rsa-sha256\n", MailFileKind::message},
      {"From: a@b\n\nbody", MailFileKind::message},  // a header field, not an mbox line
      {"{\"report-id\": \"x\"}", MailFileKind::other},
      {"\x1f\x8b\x08\x00", MailFileKind::other},
      {"PK\x03\x04", MailFileKind::other},
      {": no name\n", MailFileKind::other},
      {"Two words: x\n", MailFileKind::other},
      {"", MailFileKind::other},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(mail_file_kind(c.text), c.want);
  }
}

TEST(MailArchive, SplitMbox_MessagesUnescapedAndSeparatorsDropped) {
  const std::string mbox =
      "From a@example.com Mon Dec  7 10:00:00 2026\n"
      "From: a@example.com\n"
      "Subject: one\n"
      "\n"
      "body one\n"
      ">From the start\n"
      ">>From twice\n"
      "From inside a paragraph is not a separator\n"
      "\n"
      "From b@example.com Mon Dec  7 10:00:01 2026\n"
      "From: b@example.com\n"
      "\n"
      "body two\n";
  const std::vector<std::string> got = split_mbox(mbox);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0],
            "From: a@example.com\nSubject: one\n\nbody one\nFrom the start\n>From twice\n"
            "From inside a paragraph is not a separator\n");
  EXPECT_EQ(got[1], "From: b@example.com\n\nbody two\n");
}

TEST(MailArchive, SplitMbox_CrlfKept) {
  const std::string mbox =
      "From a@example.com Mon Dec  7 10:00:00 2026\r\nFrom: a\r\n\r\nx\r\n\r\n"
      "From b@example.com Mon Dec  7 10:00:00 2026\r\nFrom: b\r\n\r\ny\r\n";
  const std::vector<std::string> got = split_mbox(mbox);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "From: a\r\n\r\nx\r\n");
  EXPECT_EQ(got[1], "From: b\r\n\r\ny\r\n");
}

TEST(MailArchive, SplitMbox_NotAnMboxOrEmpty_NoMessages) {
  EXPECT_TRUE(split_mbox("From: a@b\n\nbody\n").empty());
  EXPECT_TRUE(split_mbox("").empty());
  EXPECT_TRUE(split_mbox("From a Mon\n\nFrom b Tue\n").empty());
}

}  // namespace
}  // namespace mtasts::core
