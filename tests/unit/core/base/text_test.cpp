// Text helpers (core/base/text.hpp): trimming, case-insensitive comparison, hex, base64.

#include "mtasts/core/base/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mtasts::core {
namespace {

TEST(TrimWsp, SpaceAndTab_OnlyAtTheEnds) {
  EXPECT_EQ(trim_wsp(" \t a b \t"), "a b");
  EXPECT_EQ(trim_wsp("\r\nx\r\n"), "\r\nx\r\n");
  EXPECT_EQ(trim_wsp(" \t "), "");
  EXPECT_EQ(trim_wsp(""), "");
}

TEST(TrimSpace, EveryAsciiWhitespace_OnlyAtTheEnds) {
  EXPECT_EQ(trim_space(" \t\r\n\v\fa b\r\n"), "a b");
  EXPECT_EQ(trim_space("x"), "x");
  EXPECT_EQ(trim_space("\n\n"), "");
  EXPECT_EQ(trim_space("\xa0x\xa0"), "\xa0x\xa0");  // no Unicode spaces
}

TEST(Iequals, AsciiLettersOnly_FoldCase) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("bearer", "bearer "));
  EXPECT_FALSE(iequals("[", "{"));  // 0x5B and 0x7B differ by 0x20 but are no letters
  EXPECT_FALSE(iequals("\xc4", "\xe4"));
}

TEST(Hex, Bytes_TwoDigitsEach) {
  EXPECT_EQ(hex_byte(0x0a), "0a");
  EXPECT_EQ(hex_byte(0xff, HexCase::upper), "FF");
  EXPECT_EQ(to_hex(std::string("\x00\x7f\x80\xff", 4)), "007f80ff");
  EXPECT_EQ(to_hex("", HexCase::upper), "");
  for (int value = 0; value < 256; ++value) {
    const std::string digits = hex_byte(static_cast<std::uint8_t>(value), HexCase::upper);
    EXPECT_EQ(hex_digit_value(digits[0]) * 16 + hex_digit_value(digits[1]), value);
  }
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_TRUE(is_hex_digit('F'));
  EXPECT_FALSE(is_hex_digit('x'));
}

TEST(Base64, Rfc4648Section10Vectors_RoundTripWithPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors{{"", ""},
                                                                 {"f", "Zg=="},
                                                                 {"fo", "Zm8="},
                                                                 {"foo", "Zm9v"},
                                                                 {"foob", "Zm9vYg=="},
                                                                 {"fooba", "Zm9vYmE="},
                                                                 {"foobar", "Zm9vYmFy"},
                                                                 {"\xfb\xff", "+/8="}};
  for (const auto& [raw, text] : vectors) {
    EXPECT_EQ(base64_encode(raw), text);
    EXPECT_EQ(base64_decode(text).value(), raw);
  }
}

TEST(Base64, NonCanonicalText_IsRefused) {
  for (const std::string bad :
       {"Zg", "Zh==", "Zg=", "-_8=", "Zm9v YmFy", "Zm9v\n", "Z===", "=Zg="}) {
    const auto decoded = base64_decode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, Errc::invalid_syntax);
  }
}

TEST(Base64url, Rfc4648Vectors_RoundTripWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors{
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [raw, text] : vectors) {
    EXPECT_EQ(base64url_encode(raw), text);
    EXPECT_EQ(base64url_decode(text).value(), raw);
  }
}

TEST(Base64url, NonCanonicalText_IsRefused) {
  for (const std::string bad : {"Zg==", "Z", "Zh", "+/8", "Zm9v YmFy", "Zm9v\n"}) {
    EXPECT_FALSE(base64url_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace mtasts::core
