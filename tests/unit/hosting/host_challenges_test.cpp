#include "mtasts/hosting/host_challenges.hpp"

#include <gtest/gtest.h>

namespace mtasts::hosting {
namespace {

using std::chrono::seconds;

store::ChallengeRow row(std::string token, std::string name) {
  return store::ChallengeRow{std::move(token), std::move(name), "ka", core::HostTime(seconds(10))};
}

TEST(SharedChallenges, RowTokens) {
  EXPECT_EQ(challenge_row_token({net::ChallengeType::http01, "mta-sts.a.example", "tok", "ka"}),
            "tok");
  EXPECT_EQ(challenge_row_token({net::ChallengeType::tls_alpn01, "mta-sts.a.example", "tok", "ka"}),
            "alpn:mta-sts.a.example");
}

TEST(SharedChallenges, RowsReadBackAsWhatTheyServe) {
  EXPECT_EQ(shared_challenge_of(row("tok", "mta-sts.a.example")),
            (SharedChallenge{"tok", "mta-sts.a.example", net::ChallengeType::http01}));
  EXPECT_EQ(shared_challenge_of(row("alpn:mta-sts.a.example", "mta-sts.a.example")),
            (SharedChallenge{"alpn:mta-sts.a.example", "mta-sts.a.example",
                             net::ChallengeType::tls_alpn01}));
  // Round trip through the row token, for both kinds.
  for (const net::ChallengeType type :
       {net::ChallengeType::http01, net::ChallengeType::tls_alpn01}) {
    const net::PendingChallenge pending{type, "mta-sts.b.example", "tok-2", "ka"};
    const auto shared = shared_challenge_of(row(challenge_row_token(pending), pending.name));
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(shared->type, type);
    EXPECT_EQ(shared->name, pending.name);
  }
}

TEST(SharedChallenges, RowsWithoutTokenOrNameServeNothing) {
  EXPECT_EQ(shared_challenge_of(row("", "mta-sts.a.example")), std::nullopt);
  EXPECT_EQ(shared_challenge_of(row("tok", "")), std::nullopt);
}

}  // namespace
}  // namespace mtasts::hosting
