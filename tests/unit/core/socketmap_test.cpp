#include "mtasts/core/socketmap.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "golden.hpp"

namespace mtasts::core {
namespace {

std::string errc_label(Errc code) {
  static const std::map<Errc, std::string> kNames = {
      {Errc::invalid_syntax, "invalid_syntax"},
      {Errc::invalid_value, "invalid_value"},
  };
  const auto it = kNames.find(code);
  return it == kNames.end() ? "other" : it->second;
}

class SocketmapKeyGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(SocketmapKeyGolden, Case_MatchesExpectation) {
  const nlohmann::json& row = GetParam();
  const nlohmann::json& expect = row.at("expect");
  const auto request = parse_socketmap_request(row.at("input").get<std::string>());
  if (expect.contains("error")) {
    ASSERT_FALSE(request.has_value()) << "parsed as map " << request->map_name;
    EXPECT_EQ(errc_label(request.error().code), expect.at("error").get<std::string>());
    EXPECT_FALSE(request.error().message.empty());
    return;
  }
  ASSERT_TRUE(request.has_value()) << request.error().message;
  EXPECT_EQ(request->map_name, expect.at("map").get<std::string>());
  const SocketmapKey key = normalize_socketmap_key(request->key);
  EXPECT_EQ(key_kind_name(key.kind), expect.at("kind").get<std::string>());
  EXPECT_EQ(key.name, expect.at("name").get<std::string>());
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
