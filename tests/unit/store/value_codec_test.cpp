// The compact value of the Redis and memory stores: round trip, canonical form, and the
// corrupt values it refuses.

#include "mtasts/store/value_codec.hpp"

#include <gtest/gtest.h>

namespace mtasts::store {
namespace {

using std::chrono::seconds;

StoredPolicy sample() {
  return StoredPolicy{"example.com", "20240101", "version: STSv1\r\nmode: testing\r\n",
                      TimePoint(seconds(1'700'000'000)), TimePoint(seconds(1'700'086'400))};
}

TEST(ValueCodec, Encode_LayoutTheRedisScriptReads) {
  EXPECT_EQ(encode_policy_value(sample()),
            "1:1700000000:1700086400:8:20240101version: STSv1\r\nmode: testing\r\n");
}

TEST(ValueCodec, Decode_RoundTripsEveryField) {
  StoredPolicy policy = sample();
  policy.body += std::string("bytes \0\xff kept", 13);
  const auto decoded = decode_policy_value("example.com", encode_policy_value(policy));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(*decoded, policy);
}

TEST(ValueCodec, Decode_EmptyIdAndBody) {
  StoredPolicy policy = sample();
  policy.id.clear();
  policy.body.clear();
  policy.fetched_at = policy.expires_at = TimePoint(seconds(0));
  EXPECT_EQ(encode_policy_value(policy), "1:0:0:0:");
  const auto decoded = decode_policy_value("example.com", "1:0:0:0:");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(*decoded, policy);
}

class ValueCodecCorrupt : public ::testing::TestWithParam<const char*> {};

TEST_P(ValueCodecCorrupt, Decode_Corrupt) {
  const auto decoded = decode_policy_value("example.com", GetParam());
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, Errc::corrupt);
  EXPECT_NE(decoded.error().message.find("example.com"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, ValueCodecCorrupt,
                         ::testing::Values("", "2:1:2:0:", "1:", "1:1:2:", "1:1:2:3:ab",
                                           "1:01:2:0:", "1:+1:2:0:", "1:-1:2:0:", "1:2:1:0:",
                                           "1:1:253402300800:0:", "1:1:2:256:", "1:1:2:2:a b",
                                           "1:1:2:1:\n", "1:1x:2:0:", "1:1:2:0",
                                           "1:0000000000001:2:0:", "1:0:-0:0:", "not ours"));

TEST(ValueCodec, Decode_OversizedBody_Corrupt) {
  const std::string value = "1:1:2:0:" + std::string(64 * 1024 + 1, 'x');
  EXPECT_FALSE(decode_policy_value("example.com", value).has_value());
}

TEST(ValueCodec, Decode_DomainValidateRefuses_Corrupt) {
  EXPECT_FALSE(decode_policy_value("", "1:1:2:0:").has_value());
  EXPECT_FALSE(decode_policy_value("a b", "1:1:2:0:").has_value());
}

TEST(StoredPolicy, ToStored_FieldLinesJoinedByCrlf) {
  auto policy = core::parse_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 600\n");
  ASSERT_TRUE(policy.has_value());
  const core::CachedPolicy cached{*policy, "id", TimePoint(seconds(10)), TimePoint(seconds(610))};
  const StoredPolicy stored = to_stored("example.com", cached);
  EXPECT_EQ(stored.body, "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 600\r\n");
  EXPECT_EQ(stored.fetched_at, cached.fetched_at);
  EXPECT_EQ(stored.expires_at, cached.expires_at);
}

TEST(StoredPolicy, ToCached_BodyThatNoLongerParses_Corrupt) {
  StoredPolicy stored = sample();
  stored.body = "not a policy";
  const auto cached = to_cached(stored);
  ASSERT_FALSE(cached.has_value());
  EXPECT_EQ(cached.error().code, Errc::corrupt);
  EXPECT_NE(cached.error().message.find("example.com"), std::string::npos);
}

}  // namespace
}  // namespace mtasts::store
