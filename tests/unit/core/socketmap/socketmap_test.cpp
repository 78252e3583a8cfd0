#include "mtasts/core/socketmap/socketmap.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "golden.hpp"
#include "mtasts/core/base/domain_name.hpp"

namespace mtasts::core {
namespace {

class SocketmapKeyGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(SocketmapKeyGolden, Case_MatchesExpectation) {
  const nlohmann::json& row = GetParam();
  const nlohmann::json& expect = row.at("expect");
  const auto request = parse_socketmap_request(row.at("input").get<std::string>());
  if (expect.contains("error")) {
    ASSERT_FALSE(request.has_value()) << "parsed as map " << request->map_name;
    EXPECT_EQ(request.error().code.name(), expect.at("error").get<std::string>());
    EXPECT_FALSE(request.error().message.empty());
    return;
  }
  ASSERT_TRUE(request.has_value()) << request.error().message;
  EXPECT_EQ(request->map_name, expect.at("map").get<std::string>());
  const SocketmapKey key = normalize_socketmap_key(request->key);
  EXPECT_EQ(key_kind_name(key.kind), expect.at("kind").get<std::string>());
  EXPECT_EQ(key.name, expect.at("name").get<std::string>());
  // The shortcut for keys already normalised agrees with the full normalisation.
  if (const auto plain = plain_domain_key(request->key)) {
    EXPECT_EQ(key.kind, KeyKind::domain);
    EXPECT_EQ(key.name, *plain);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, SocketmapKeyGolden,
                         ::testing::ValuesIn(mtasts::testing::load_golden("socketmap_key.jsonl")),
                         mtasts::testing::golden_name);

TEST(SocketmapRequest, KeyAfterFirstSpace_KeptVerbatim) {
  const auto request = parse_socketmap_request("postfix  [Mail.Example.]:25 x");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->map_name, "postfix");
  EXPECT_EQ(request->key, " [Mail.Example.]:25 x");
}

TEST(SocketmapRequest, View_HasTheSameParts) {
  const auto request = parse_socketmap_request_view("postfix  [Mail.Example.]:25 x");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->map_name, "postfix");
  EXPECT_EQ(request->key, " [Mail.Example.]:25 x");
  EXPECT_FALSE(parse_socketmap_request_view("nospace").has_value());
  EXPECT_FALSE(parse_socketmap_request_view(" key").has_value());
  EXPECT_FALSE(parse_socketmap_request_view("ma\x01p key").has_value());
}

TEST(PlainDomainKey, NormalisedLdhNames_AreTheirOwnDomain) {
  std::string longest;
  while (longest.size() + 64 <= kMaxDomainLength) {
    longest += std::string(63, 'a') + ".";
  }
  longest += std::string(kMaxDomainLength - longest.size() - 4, 'b') + ".com";
  ASSERT_EQ(longest.size(), kMaxDomainLength);
  for (const std::string& key :
       {std::string("example.com"), std::string("mail-1.example.com"), std::string("a"),
        std::string("x1.y2.z3"), std::string("1.example"), std::string("0x7f.example"),
        std::string("xn--bcher-kva.example"), std::string(63, 'a') + ".example", longest}) {
    const auto plain = plain_domain_key(key);
    ASSERT_TRUE(plain.has_value()) << key;
    EXPECT_EQ(*plain, key);
    const SocketmapKey full = normalize_socketmap_key(key);
    EXPECT_EQ(full.kind, KeyKind::domain) << key;
    EXPECT_EQ(full.name, key);
    EXPECT_TRUE(is_ldh_domain(key)) << key;
  }
}

TEST(PlainDomainKey, OtherKeys_GoToTheFullNormalisation) {
  for (const std::string& key : {std::string(""),
                                 std::string("Example.com"),
                                 std::string("example.com."),
                                 std::string(".example.com"),
                                 std::string("a..b"),
                                 std::string(" example.com"),
                                 std::string("example.com "),
                                 std::string("[example.com]"),
                                 std::string("example.com:25"),
                                 std::string("192.0.2.1"),
                                 std::string("127.1"),
                                 std::string("10"),
                                 std::string("0x7f.0.0.1"),
                                 std::string("example.123"),
                                 std::string("-a.example"),
                                 std::string("a-.example"),
                                 std::string("a.-b"),
                                 std::string("a.b-"),
                                 std::string("under_score.example"),
                                 std::string("b\xc3\xbc"
                                             "cher.example"),
                                 std::string(64, 'a') + ".example",
                                 std::string("a/b.example"),
                                 std::string("a@b.example"),
                                 std::string(kMaxDomainLength - 3, 'a') + ".com"}) {
    EXPECT_FALSE(plain_domain_key(key).has_value()) << key;
  }
}

TEST(SocketmapKey, LongerThanLimit_Invalid) {
  std::string name;
  while (name.size() <= kMaxSocketmapKeyLength) {
    name += "abcdefghij.";
  }
  name += "example";
  EXPECT_EQ(normalize_socketmap_key(name).kind, KeyKind::invalid);
}

TEST(SocketmapKey, AtLimit_Domain) {
  std::string name(kMaxSocketmapKeyLength - 4, 'a');
  name += ".com";
  EXPECT_EQ(normalize_socketmap_key(name).kind, KeyKind::domain);
}

TEST(SocketmapKey, EveryKind_HasDistinctName) {
  const std::set<std::string_view> names = {
      key_kind_name(KeyKind::domain), key_kind_name(KeyKind::parent_probe),
      key_kind_name(KeyKind::address_literal), key_kind_name(KeyKind::empty),
      key_kind_name(KeyKind::invalid)};
  EXPECT_EQ(names.size(), 5u);
}

}  // namespace
}  // namespace mtasts::core
