#include "host/host_challenges.hpp"

#include <gtest/gtest.h>

namespace mtasts::app {
namespace {

IndexedChallenge entry(std::string token, std::int64_t expires,
                       net::ChallengeType type = net::ChallengeType::http01) {
  return IndexedChallenge{std::move(token), "mta-sts.example.com", type, expires};
}

TEST(ChallengeIndex, EncodeDecode_RoundTrips) {
  const std::vector<IndexedChallenge> entries = {
      entry("tok1", 100), entry("alpn:mta-sts.example.com", 200, net::ChallengeType::tls_alpn01)};
  EXPECT_EQ(decode_challenge_index(encode_challenge_index(entries)), entries);
}

TEST(ChallengeIndex, Decode_SkipsWhatItDoesNotKnow) {
  EXPECT_TRUE(decode_challenge_index("").empty());
  EXPECT_TRUE(decode_challenge_index("{\"a\":1}").empty());
  EXPECT_EQ(decode_challenge_index(R"([{"token":"t","name":"n","type":"dns-01","expires":1},
                                       {"token":"u","name":"n","type":"http-01","expires":"x"},
                                       {"token":"v","name":"n","type":"http-01","expires":5}])")
                .size(),
            1u);
}

TEST(ChallengeIndex, Edit_PrunesRemovesAndReplaces) {
  const std::vector<IndexedChallenge> entries = {entry("old", 10), entry("keep", 100),
                                                 entry("gone", 100)};
  auto edited = edit_challenge_index(entries, 50, "gone", entry("new", 150));
  EXPECT_EQ(edited, (std::vector<IndexedChallenge>{entry("keep", 100), entry("new", 150)}));
  auto replaced = edit_challenge_index(edited, 50, "", entry("keep", 300));
  EXPECT_EQ(replaced, (std::vector<IndexedChallenge>{entry("new", 150), entry("keep", 300)}));
  // Expired at its expiry time, as the store treats rows.
  EXPECT_TRUE(edit_challenge_index({entry("t", 50)}, 50, "", std::nullopt).empty());
}

TEST(ChallengeIndex, RowTokens) {
  EXPECT_EQ(challenge_row_token({net::ChallengeType::http01, "mta-sts.a.example", "tok", "ka"}),
            "tok");
  EXPECT_EQ(challenge_row_token({net::ChallengeType::tls_alpn01, "mta-sts.a.example", "tok", "ka"}),
            "alpn:mta-sts.a.example");
}

}  // namespace
}  // namespace mtasts::app
