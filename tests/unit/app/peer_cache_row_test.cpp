#include "cache/peer_cache_row.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::app {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const store::TimePoint kNow{1'700'000'000s};

// A row as the peer 1.1.2 writes it: json.dumps of utils.parse_mta_sts_policy's dict.
store::PeerCacheRow peer_row(std::string body, std::int64_t ts = 1'699'990'000,
                             std::string id = "20240501") {
  return store::PeerCacheRow{7, "example.com", ts, std::move(id), std::move(body)};
}

constexpr const char* kEnforce =
    R"({"mx": ["mx1.example.com", "*.backup.example.com"], "version": "STSv1", )"
    R"("mode": "enforce", "max_age": 86400})";

TEST(PeerCacheRow_Text, PeerDict_CanonicalPolicyText) {
  auto text = policy_text_from_peer_json(kEnforce);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text,
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\n"
            "max_age: 86400\r\n");
}

TEST(PeerCacheRow_Text, ExtensionKeysKeptInTheirOrder_BlankLineDropped) {
  auto text = policy_text_from_peer_json(
      R"({"mx": [], "version": "STSv1", "mode": "none", "zz": "1", "": "", "aa": "b c", )"
      R"("max_age": 3600})");
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text, "version: STSv1\r\nmode: none\r\nmax_age: 3600\r\nzz: 1\r\naa: b c\r\n");
}

TEST(PeerCacheRow_Text, Malformed_OneSentenceEach) {
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "is not JSON"},
      {"[1, 2]", "a JSON array, not an object"},
      {R"({"version": "STSv1", "max_age": 1, "mx": []})", R"(no "mode" member)"},
      {R"({"mode": "enforce", "mx": []})", R"(no "version" member)"},
      {R"({"version": "STSv1", "mode": "enforce", "mx": "a.example"})", R"("mx" is string)"},
      {R"({"version": "STSv1", "mode": "enforce", "mx": [1]})", R"("mx" is number)"},
      {R"({"version": "STSv1", "mode": 3, "mx": []})", R"("mode" is number)"},
      {R"({"version": "STSv1", "mode": "enforce", "mx": [], "max_age": 1.5})", R"("max_age" is)"},
      {R"({"version": "STSv1", "mode": "enforce\r\nmx: evil.example", "mx": []})", "line break"},
  };
  for (const auto& [json, why] : cases) {
    auto text = policy_text_from_peer_json(json);
    ASSERT_FALSE(text) << json;
    EXPECT_THAT(text.error(), HasSubstr(why)) << json;
  }
}

TEST(PeerCacheRow_Policy, EnforceRow_StoredWithPeerTimesAndId) {
  auto stored = policy_from_peer_row(peer_row(kEnforce), kNow);
  ASSERT_TRUE(stored) << stored.error();
  EXPECT_EQ(stored->domain, "example.com");
  EXPECT_EQ(stored->id, "20240501");
  EXPECT_EQ(stored->fetched_at, store::TimePoint(1'699'990'000s));
  EXPECT_EQ(stored->expires_at, store::TimePoint(1'699'990'000s + 86400s));
  auto policy = core::parse_policy(stored->body);
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->mode, core::PolicyMode::enforce);
  EXPECT_EQ(policy->mx.size(), 2U);
}

TEST(PeerCacheRow_Policy, DomainNormalised) {
  auto row = peer_row(kEnforce);
  row.domain = "Example.COM.";
  auto stored = policy_from_peer_row(row, kNow);
  ASSERT_TRUE(stored) << stored.error();
  EXPECT_EQ(stored->domain, "example.com");
}

TEST(PeerCacheRow_Policy, RowsThePeerAcceptedButCoreRefuses_Skipped) {
  // The peer checks neither the id's syntax nor the mx values nor max_age's digits.
  const std::pair<store::PeerCacheRow, const char*> cases[] = {
      {peer_row(kEnforce, 1'699'990'000, "bad_id!"), "not an RFC 8461 id"},
      {peer_row(kEnforce, 1'699'990'000, ""), "not an RFC 8461 id"},
      {peer_row(kEnforce, 1'699'990'000, "1; x=y"), "not an RFC 8461 id"},
      {peer_row(R"({"mx": ["a..example"], "version": "STSv1", "mode": "enforce", "max_age": 60})"),
       "does not parse"},
      {peer_row(R"({"mx": [], "version": "STSv1", "mode": "enforce", "max_age": 60})"),
       "does not parse"},
      {peer_row(R"({"mx": ["a.example"], "version": "STSv2", "mode": "enforce", "max_age": 60})"),
       "does not parse"},
      {peer_row(R"({"mx": ["a.example"], "version": "STSv1", "mode": "enforce", "max_age": -5})"),
       "does not parse"},
      {peer_row(kEnforce, -1), "before 1970 or in the future"},
      {peer_row(kEnforce, 1'700'000'000 + 7200), "before 1970 or in the future"},
  };
  for (const auto& [row, why] : cases) {
    auto stored = policy_from_peer_row(row, kNow);
    ASSERT_FALSE(stored) << row.policy_id << " " << row.body;
    EXPECT_THAT(stored.error(), HasSubstr(why)) << row.policy_id << " " << row.body;
  }
  auto no_ts = peer_row(kEnforce);
  no_ts.ts.reset();
  auto stored = policy_from_peer_row(no_ts, kNow);
  ASSERT_FALSE(stored);
  EXPECT_THAT(stored.error(), HasSubstr("not an integer"));
  auto bad_domain = peer_row(kEnforce);
  bad_domain.domain = "[127.0.0.1]";
  EXPECT_FALSE(policy_from_peer_row(bad_domain, kNow));
}

TEST(PeerCacheRow_Outcome, Table) {
  const store::StoredPolicy candidate =
      *policy_from_peer_row(peer_row(kEnforce, 1'699'990'000), kNow);
  store::StoredPolicy older = candidate;
  older.fetched_at -= 100s;
  store::StoredPolicy newer = candidate;
  newer.fetched_at += 100s;
  store::StoredPolicy same_time_other_id = candidate;
  same_time_other_id.id = "2";
  EXPECT_EQ(import_outcome(candidate, std::nullopt, kNow), ImportOutcome::added);
  EXPECT_EQ(import_outcome(candidate, older, kNow), ImportOutcome::replaced);
  EXPECT_EQ(import_outcome(candidate, candidate, kNow), ImportOutcome::unchanged);
  EXPECT_EQ(import_outcome(candidate, newer, kNow), ImportOutcome::kept_newer);
  EXPECT_EQ(import_outcome(candidate, same_time_other_id, kNow), ImportOutcome::replaced);
  EXPECT_EQ(import_outcome(candidate, std::nullopt, candidate.expires_at), ImportOutcome::added);
  EXPECT_EQ(import_outcome(candidate, std::nullopt, candidate.expires_at + 1s),
            ImportOutcome::expired);
}

}  // namespace
}  // namespace mtasts::app
