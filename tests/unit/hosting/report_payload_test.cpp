#include "mtasts/hosting/report_payload.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace mtasts::hosting {
namespace {

// gzip (RFC 1952) of `text` by zlib.
std::string gzip(const std::string& text, int level = 6) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, text.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

constexpr const char* kReport = R"({"organization-name":"Org","report-id":"1","policies":[]})";

TEST(ReportPayload, Json_TakenAsItIs) {
  auto payload = decode_report_payload(kReport);
  ASSERT_TRUE(payload.has_value()) << payload.error().message;
  EXPECT_EQ(payload->format, PayloadFormat::json);
  EXPECT_EQ(payload->json, kReport);
}

TEST(ReportPayload, Gzip_Decompressed) {
  auto payload = decode_report_payload(gzip(kReport));
  ASSERT_TRUE(payload.has_value()) << payload.error().message;
  EXPECT_EQ(payload->format, PayloadFormat::gzip);
  EXPECT_EQ(payload->json, kReport);
}

TEST(ReportPayload, TwoGzipMembers_Concatenated) {
  auto payload = decode_report_payload(gzip("{\"a\":") + gzip("1}"));
  ASSERT_TRUE(payload.has_value()) << payload.error().message;
  EXPECT_EQ(payload->json, "{\"a\":1}");
}

TEST(ReportPayload, TruncatedGzip_InvalidSyntax) {
  const std::string whole = gzip(std::string(5000, 'x'));
  auto payload = decode_report_payload(whole.substr(0, whole.size() / 2));
  ASSERT_FALSE(payload.has_value());
  EXPECT_EQ(payload.error().code, core::Errc::invalid_syntax);
  EXPECT_NE(payload.error().message.find("gzip"), std::string::npos);
}

TEST(ReportPayload, GzipBomb_StopsAtTheOutputLimit) {
  const std::string bomb = gzip(std::string(std::size_t{64} << 20, '0'), 9);
  ASSERT_LT(bomb.size(), 100'000U);
  PayloadLimits limits;
  limits.max_output = 1 << 20;
  auto payload = decode_report_payload(bomb, limits);
  ASSERT_FALSE(payload.has_value());
  EXPECT_EQ(payload.error().code, core::Errc::too_large);
}

TEST(ReportPayload, OversizedInput_TooLargeBeforeDecoding) {
  PayloadLimits limits;
  limits.max_input = 10;
  auto payload = decode_report_payload(kReport, limits);
  ASSERT_FALSE(payload.has_value());
  EXPECT_EQ(payload.error().code, core::Errc::too_large);
}

TEST(ReportPayload, ZipMagicWithGarbage_InvalidSyntax) {
  auto payload = decode_report_payload(std::string("PK\x03\x04garbage", 11));
  ASSERT_FALSE(payload.has_value());
  EXPECT_EQ(payload.error().code, core::Errc::invalid_syntax);
}

}  // namespace
}  // namespace mtasts::hosting
