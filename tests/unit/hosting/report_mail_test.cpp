#include "mtasts/hosting/report_mail.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mtasts::hosting {
namespace {

std::string read_mail(const std::string& name) {
  std::ifstream in(std::string(MTASTS_TESTDATA_DIR) + "/tlsrpt_mail/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<ReportMailCode> codes(const ReportMail& mail) {
  std::vector<ReportMailCode> out;
  for (const auto& finding : mail.findings) {
    EXPECT_FALSE(finding.message.empty());
    out.push_back(finding.code);
  }
  return out;
}

bool has(const ReportMail& mail, ReportMailCode code) {
  const auto found = codes(mail);
  return std::find(found.begin(), found.end(), code) != found.end();
}

TEST(ReportMail, GoogleStyle_ConformingWithGzipReport) {
  const auto mail = parse_report_mail(read_mail("google_gzip.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->from, "noreply-smtp-tls-reporting@google.com");
  EXPECT_EQ(mail->subject,
            "Report Domain: example.com Submitter: google.com Report-ID: "
            "<2026.01.01T00.00.00Z+example.com@google.com>");
  EXPECT_EQ(mail->message_id, "000000000000a1b2c3d4e5f60718@google.com");
  EXPECT_EQ(mail->date, "Fri, 02 Jan 2026 02:13:05 -0800");
  EXPECT_EQ(mail->date_unix, 1767348785);  // 2026-01-02T10:13:05Z
  EXPECT_EQ(mail->report_domain, "example.com");
  EXPECT_EQ(mail->report_submitter, "google.com");
  EXPECT_EQ(mail->shape, ReportMailShape::conforming);
  EXPECT_TRUE(mail->findings.empty()) << mail->findings.front().message;
  ASSERT_EQ(mail->attachments.size(), 1u);
  const auto& report = mail->attachments[0];
  EXPECT_EQ(report.content_type, "application/tlsrpt+gzip");
  EXPECT_EQ(report.filename, "google.com!example.com!1767225600!1767311999!001.json.gz");
  EXPECT_EQ(report.packing, ReportPacking::gzip);
  EXPECT_EQ(report.data, read_mail("report.json.gz"));
}

TEST(ReportMail, MicrosoftStyle_CrlfNestedAlternativeQuotedReportType) {
  const auto mail = parse_report_mail(read_mail("microsoft_gzip.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->from, "tlsrpt-noreply@microsoft.com");
  EXPECT_EQ(mail->report_submitter, "microsoft.com");
  EXPECT_EQ(mail->shape, ReportMailShape::conforming);
  EXPECT_TRUE(codes(*mail).empty());
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].filename,
            "microsoft.com!example.com!1767225600!1767312000.json.gz");
  EXPECT_EQ(mail->attachments[0].data, read_mail("report.json.gz"));
}

TEST(ReportMail, InlineJson_QuotedPrintableDecodedGenericTypeFound) {
  const auto mail = parse_report_mail(read_mail("json_inline.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->from, "tls-reports@mailer.sender.example");
  EXPECT_EQ(mail->shape, ReportMailShape::conforming);
  EXPECT_EQ(codes(*mail), std::vector{ReportMailCode::generic_media_type});
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].content_type, "application/json");
  EXPECT_EQ(mail->attachments[0].filename, "");
  EXPECT_EQ(mail->attachments[0].packing, ReportPacking::json);
  EXPECT_EQ(mail->attachments[0].data, read_mail("report.json"));
}

TEST(ReportMail, ZipInMultipartMixed_ReadWithFindings) {
  const auto mail = parse_report_mail(read_mail("zip_mixed.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->shape, ReportMailShape::other_multipart);
  EXPECT_EQ(codes(*mail),
            (std::vector{ReportMailCode::not_multipart_report, ReportMailCode::subject_format,
                         ReportMailCode::generic_media_type}));
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].content_type, "application/zip");
  EXPECT_EQ(mail->attachments[0].packing, ReportPacking::zip);
  EXPECT_EQ(mail->attachments[0].data, read_mail("report.zip"));
}

TEST(ReportMail, MissingReportDomain_FindingAndRfcExampleShape) {
  const auto mail = parse_report_mail(read_mail("no_report_domain.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->report_domain, std::nullopt);
  EXPECT_EQ(mail->report_submitter, "mail.sender.example");
  EXPECT_EQ(codes(*mail), std::vector{ReportMailCode::report_domain_missing});
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].filename,
            "mail.sender.example!example.com!1013662812!1013749130.json.gz");
}

TEST(ReportMail, OctetStreamWithReportFilename_NoReportType) {
  const auto mail = parse_report_mail(read_mail("octet_stream.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->shape, ReportMailShape::report_type_missing);
  EXPECT_EQ(codes(*mail),
            (std::vector{ReportMailCode::report_type_missing, ReportMailCode::generic_media_type}));
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].content_type, "application/octet-stream");
  EXPECT_EQ(mail->attachments[0].packing, ReportPacking::gzip);
}

TEST(ReportMail, MboxEnvelopeLine_Skipped) {
  const auto mail = parse_report_mail("From noreply@google.com Fri Jan  2 10:13:06 2026\n" +
                                      read_mail("google_gzip.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->from, "noreply-smtp-tls-reporting@google.com");
  EXPECT_TRUE(mail->findings.empty());
}

TEST(ReportMail, SinglePart_TheBodyIsTheReport) {
  const auto mail = parse_report_mail(read_mail("single_part.eml"));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->shape, ReportMailShape::single_part);
  EXPECT_EQ(codes(*mail), std::vector{ReportMailCode::single_part});
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].filename, "report.json.gz");
  EXPECT_EQ(mail->attachments[0].data, read_mail("report.json.gz"));
}

std::string mail_with(const std::string& top_type, const std::string& parts) {
  return "From: a@sender.example\r\nSubject: x\r\nTLS-Report-Domain: example.com\r\n"
         "TLS-Report-Submitter: sender.example\r\nMIME-Version: 1.0\r\nContent-Type: " +
         top_type + "; boundary=\"B\"\r\n\r\n" + parts + "--B--\r\n";
}

std::string part(const std::string& type, const std::string& body) {
  return "--B\r\nContent-Type: " + type + "\r\n\r\n" + body + "\r\n";
}

TEST(ReportMail, OtherReportTypeAndSeveralReports_AllKeptWithFindings) {
  const auto mail = parse_report_mail(
      mail_with("multipart/report; report-type=disposition-notification",
                part("application/tlsrpt+json", "{\"a\":1}") +
                    part("application/tlsrpt+gzip", "{\"b\":2}") + part("image/png", "PNG")));
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_EQ(mail->shape, ReportMailShape::report_type_other);
  EXPECT_EQ(codes(*mail),
            (std::vector{ReportMailCode::report_type_other, ReportMailCode::subject_format,
                         ReportMailCode::packing_mismatch, ReportMailCode::several_reports}));
  ASSERT_EQ(mail->attachments.size(), 2u);
  EXPECT_EQ(mail->attachments[0].data, "{\"a\":1}");
  EXPECT_EQ(mail->attachments[1].packing, ReportPacking::json);
}

TEST(ReportMail, OctetStreamWithoutReportFilename_IsNoReport) {
  const auto mail = parse_report_mail(
      mail_with("multipart/report; report-type=tlsrpt",
                "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
                "attachment; filename=\"picture.jpg\"\r\n\r\nxyz\r\n"));
  ASSERT_FALSE(mail);
  EXPECT_EQ(mail.error().code, core::Errc::invalid_value);
  EXPECT_NE(mail.error().message.find("no report part"), std::string::npos);
}

TEST(ReportMail, EmptyReportPart_IsNoReport) {
  const auto mail = parse_report_mail(
      mail_with("multipart/report; report-type=tlsrpt", part("application/tlsrpt+gzip", "")));
  ASSERT_FALSE(mail);
  EXPECT_EQ(mail.error().code, core::Errc::invalid_value);
  EXPECT_EQ(mail.error().message, "report mail's report part is empty");
}

TEST(ReportMail, Junk_ClearErrors) {
  struct Case {
    std::string input;
    core::Errc code;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"", core::Errc::invalid_syntax, "empty"},
      {" \r\n\r\n", core::Errc::invalid_syntax, "empty"},
      {read_mail("junk_no_attachment.eml"), core::Errc::invalid_value, "no report part"},
      {read_mail("junk_garbage.bin"), core::Errc::invalid_syntax, "not a MIME message"},
      {read_mail("junk_truncated.eml"), core::Errc::invalid_syntax, "truncated"},
      {"\r\n\r\n{\"policies\":[]}", core::Errc::invalid_syntax, "not a MIME message"},
  };
  for (const auto& c : cases) {
    const auto mail = parse_report_mail(c.input);
    ASSERT_FALSE(mail) << c.input.substr(0, 40);
    EXPECT_EQ(mail.error().code, c.code) << mail.error().message;
    EXPECT_NE(mail.error().message.find(c.message_part), std::string::npos) << mail.error().message;
  }
}

TEST(ReportMail, SizeLimit_CheckedBeforeParsing) {
  const std::string message = read_mail("google_gzip.eml");
  ReportMailLimits limits;
  limits.max_bytes = message.size() - 1;
  const auto mail = parse_report_mail(message, limits);
  ASSERT_FALSE(mail);
  EXPECT_EQ(mail.error().code, core::Errc::too_large);
  limits.max_bytes = message.size();
  EXPECT_TRUE(parse_report_mail(message, limits));
  EXPECT_EQ(kReportMailMaxBytes, 20u * 1024 * 1024);
}

TEST(ReportMail, MimeIrregularities_AreFindingsNotFailures) {
  std::string message = read_mail("google_gzip.eml");
  message.insert(0, "Subject: a second subject\n");
  const auto mail = parse_report_mail(message);
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_TRUE(has(*mail, ReportMailCode::mime_irregular));
}

TEST(ReportMail, ManyThreads_InitialiseOnceAndAgree) {
  const std::string message = read_mail("microsoft_gzip.eml");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (std::size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&message, &ok, i] {
      for (int n = 0; n < 20; ++n) {
        const auto mail = parse_report_mail(message);
        ok[i] += mail && mail->attachments.size() == 1 ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok, std::vector<int>(4, 20));
}

TEST(ReportMail, CodeNames_StableAndDistinct) {
  std::set<std::string_view> names;
  for (const auto code : kAllReportMailCodes) {
    const auto name = report_mail_code_name(code);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find('_'), std::string_view::npos) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kAllReportMailCodes.size());
  EXPECT_EQ(report_mail_code_name(ReportMailCode::report_domain_missing), "report-domain-missing");
  EXPECT_EQ(to_string(ReportMailShape::other_multipart), "other-multipart");
  EXPECT_EQ(to_string(ReportPacking::zip), "zip");
}

TEST(ReportMail, DocsListEveryCode) {
  std::ifstream in(std::string(MTASTS_TESTDATA_DIR) + "/../../docs/tlsrpt-intake.md");
  ASSERT_TRUE(in);
  std::ostringstream text;
  text << in.rdbuf();
  for (const auto code : kAllReportMailCodes) {
    EXPECT_NE(text.str().find("`" + std::string(report_mail_code_name(code)) + "`"),
              std::string::npos)
        << report_mail_code_name(code);
  }
}

}  // namespace
}  // namespace mtasts::hosting
