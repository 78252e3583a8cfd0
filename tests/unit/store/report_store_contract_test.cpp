// The ReportStore contract (TLS-RPT reports in the hosting store), against both backends:
// SQLite in a scratch directory and the real PostgreSQL of scripts/start-test-stores.sh.

#include <gtest/gtest.h>

#include <algorithm>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

using Backend = HostingStoreType;
constexpr std::int64_t kDay = 86400;
// 2023-11-14 00:00:00Z, a day's start.
constexpr std::int64_t kDay0 = kT0 - kT0 % kDay;

core::TlsrptSessionRow session(std::string result, std::uint64_t sessions, std::string mx = "",
                               std::string type = "sts", bool counted = true) {
  core::TlsrptSessionRow row;
  row.policy_type = std::move(type);
  row.policy_domain = "example.com";
  row.result = std::move(result);
  row.receiving_mx = std::move(mx);
  row.sessions = sessions;
  row.counted = counted;
  return row;
}

NewReport new_report(std::string reporter, std::string id, std::int64_t day,
                     std::vector<core::TlsrptSessionRow> rows, std::string domain = "example.com") {
  NewReport out;
  StoredReport& r = out.report;
  r.domain = std::move(domain);
  r.reporter = std::move(reporter);
  r.report_id = std::move(id);
  r.start = host_time(kDay0 + day * kDay);
  r.end = host_time(kDay0 + day * kDay + kDay - 1);
  r.received_at = host_time(kDay0 + (day + 1) * kDay);
  r.channel = ReportChannel::https;
  r.source = "192.0.2.1";
  r.findings = "[]";
  r.raw = R"({"report-id":")" + r.report_id + "\"}";
  for (const core::TlsrptSessionRow& row : rows) {
    if (row.counted) {
      (row.result == "success" ? r.successful : r.failed) += row.sessions;
    }
  }
  out.rows = std::move(rows);
  return out;
}

class ReportContract : public HostingBackendTest {
 protected:
  ReportStore& reports() { return store_->reports(); }

  std::vector<SessionTotal> totals(ReportGrouping grouping, std::int64_t from_day = -10,
                                   std::int64_t to_day = 10) {
    auto got = reports().session_totals("example.com", host_time(kDay0 + from_day * kDay),
                                        host_time(kDay0 + to_day * kDay), grouping);
    EXPECT_TRUE(got.has_value()) << got.error().message;
    return got.value_or(std::vector<SessionTotal>{});
  }
};

TEST_P(ReportContract, AddReports_SameReporterAndId_StoredOnce) {
  const NewReport a = new_report("Org A", "r1", 0, {session("success", 10)});
  auto first = reports().add_reports({a, a});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first, (std::vector<ReportAdded>{ReportAdded::added, ReportAdded::duplicate}));
  auto again = reports().add_reports({a});
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->front(), ReportAdded::duplicate);
  // Another reporter may use the same report-id.
  auto other = reports().add_reports({new_report("Org B", "r1", 0, {session("success", 5)})});
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->front(), ReportAdded::added);
  const auto by_result = totals(ReportGrouping::result);
  ASSERT_EQ(by_result.size(), 1U);
  EXPECT_EQ(by_result[0].sessions, 15U);
}

TEST_P(ReportContract, SessionTotals_GroupedByDayReporterMx_OnlyCountedRows) {
  ASSERT_OK(reports().add_reports(
      {new_report("Org A", "a0", 0,
                  {session("success", 100), session("certificate-expired", 3, "mx1.example.com"),
                   session("success", 90, "", "tlsa", false)}),
       new_report(
           "Org B", "b1", 1,
           {session("success", 50), session("starttls-not-supported", 2, "mx2.example.com")}),
       new_report("Org A", "old", -30, {session("success", 7)})}));
  const auto by_day = totals(ReportGrouping::day);
  ASSERT_EQ(by_day.size(), 4U);
  EXPECT_EQ(by_day[0].key, std::to_string(kDay0));
  EXPECT_EQ(by_day[0].result, "certificate-expired");
  EXPECT_EQ(by_day[1].result, "success");
  EXPECT_EQ(by_day[1].sessions, 100U);  // the tlsa row is not counted
  EXPECT_EQ(by_day[3].key, std::to_string(kDay0 + kDay));
  const auto by_reporter = totals(ReportGrouping::reporter);
  ASSERT_EQ(by_reporter.size(), 4U);
  EXPECT_EQ(by_reporter[0].key, "Org A");
  const auto by_mx = totals(ReportGrouping::receiving_mx);
  EXPECT_TRUE(std::any_of(by_mx.begin(), by_mx.end(), [](const SessionTotal& t) {
    return t.key == "mx2.example.com" && t.result == "starttls-not-supported" && t.sessions == 2;
  }));
  auto failures = reports().failure_rows("example.com", host_time(kDay0 - 10 * kDay),
                                         host_time(kDay0 + 10 * kDay), 10);
  ASSERT_TRUE(failures.has_value());
  ASSERT_EQ(failures->size(), 2U);
  EXPECT_EQ((*failures)[0].result, "starttls-not-supported");  // newest day first
}

TEST_P(ReportContract, SessionTotals_ByPolicyMatch_LeavesUnmatchedRowsOut) {
  core::TlsrptSessionRow older = session("success", 4);
  older.policy_match = "older";
  core::TlsrptSessionRow live = session("certificate-expired", 1, "mx1.example.com");
  live.policy_match = "live";
  ASSERT_OK(reports().add_reports(
      {new_report("Org A", "m", 0, {older, live, session("success", 9, "", "tlsa")})}));
  const auto by_match = totals(ReportGrouping::policy_match);
  ASSERT_EQ(by_match.size(), 2U);
  EXPECT_EQ(by_match[0].key, "live");
  EXPECT_EQ(by_match[1].key, "older");
  EXPECT_EQ(by_match[1].sessions, 4U);
  auto failures =
      reports().failure_rows("example.com", host_time(kDay0 - kDay), host_time(kDay0 + kDay), 10);
  ASSERT_TRUE(failures.has_value());
  ASSERT_EQ(failures->size(), 1U);
  EXPECT_EQ((*failures)[0].policy_match, "live");
}

TEST_P(ReportContract, ListAndGet_NewestFirst_RawOnlyInGet) {
  ASSERT_OK(reports().add_reports({new_report("Org A", "a0", 0, {session("success", 1)}),
                                   new_report("Org A", "a1", 1, {session("success", 2)}),
                                   new_report("Org A", "x", 1, {}, "other.example")}));
  auto listed = reports().list_reports("example.com", host_time(kDay0 - kDay),
                                       host_time(kDay0 + 5 * kDay), 10);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].report_id, "a1");
  EXPECT_TRUE((*listed)[0].raw.empty());
  auto every = reports().list_reports("", host_time(kDay0 - kDay), host_time(kDay0 + 5 * kDay), 10);
  ASSERT_TRUE(every.has_value());
  EXPECT_EQ(every->size(), 3U);
  auto got = reports().get_report((*listed)[0].id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->raw, R"({"report-id":"a1"})");
  EXPECT_EQ((*got)->successful, 2U);
  EXPECT_EQ((*got)->channel, ReportChannel::https);
  auto missing = reports().get_report(999999);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(ReportContract, KeepApart_ListedWithReason_NeverInTotals) {
  KeptApartReport apart;
  apart.received_at = host_time(kDay0);
  apart.channel = ReportChannel::mail;
  apart.reason = "not-hosted";
  apart.detail = "other.example is not hosted here";
  apart.domain = "other.example";
  apart.raw = "{}";
  ASSERT_OK(reports().keep_apart(apart));
  KeptApartReport no_reason = apart;
  no_reason.reason.clear();
  EXPECT_FALSE(reports().keep_apart(no_reason).has_value());
  auto listed = reports().list_kept_apart(10);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].reason, "not-hosted");
  EXPECT_EQ((*listed)[0].channel, ReportChannel::mail);
  auto got = reports().get_kept_apart((*listed)[0].id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->raw, "{}");
  EXPECT_TRUE(totals(ReportGrouping::result).empty());
}

TEST_P(ReportContract, Prune_DropsOldReportsAndTheirRows) {
  ASSERT_OK(reports().add_reports({new_report("Org A", "old", -40, {session("success", 1)}),
                                   new_report("Org A", "new", 0, {session("success", 2)})}));
  auto pruned = reports().prune(host_time(kDay0 - 30 * kDay));
  ASSERT_TRUE(pruned.has_value()) << pruned.error().message;
  EXPECT_EQ(*pruned, 1U);
  const auto all = totals(ReportGrouping::result, -100, 10);
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].sessions, 2U);
  // The pruned report can come again (it is gone, not remembered).
  auto again = reports().add_reports({new_report("Org A", "old", -40, {session("success", 1)})});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->front(), ReportAdded::added);
}

TEST_P(ReportContract, Prune_ByWholeDays_TakesEachPrunedDomainsDailySumsAlong) {
  ASSERT_OK(reports().add_reports(
      {new_report("Org A", "a-old", -31, {session("success", 1)}),
       new_report("Org A", "a-cut-day", -30, {session("success", 2)}),
       new_report("Org A", "a-new", 0, {session("success", 4)}),
       new_report("Org A", "net-old", -35, {session("success", 8)}, "example.net"),
       new_report("Org A", "net-new", -5, {session("success", 16)}, "example.net")}));
  // An hour into day -30: the report that started at its midnight stays with its day.
  auto pruned = reports().prune(host_time(kDay0 - 30 * kDay + 3600));
  ASSERT_TRUE(pruned.has_value()) << pruned.error().message;
  EXPECT_EQ(*pruned, 2U);
  const auto com = totals(ReportGrouping::day, -100, 10);
  ASSERT_EQ(com.size(), 2U);
  EXPECT_EQ(com[0].sessions, 2U);
  EXPECT_EQ(com[1].sessions, 4U);
  auto net = reports().session_totals("example.net", host_time(kDay0 - 100 * kDay),
                                      host_time(kDay0 + 10 * kDay), ReportGrouping::day);
  ASSERT_TRUE(net.has_value()) << net.error().message;
  ASSERT_EQ(net->size(), 1U);
  EXPECT_EQ(net->front().sessions, 16U);
  // Nothing older left: a second pass deletes nothing.
  pruned = reports().prune(host_time(kDay0 - 30 * kDay + 3600));
  ASSERT_TRUE(pruned.has_value()) << pruned.error().message;
  EXPECT_EQ(*pruned, 0U);
}

TEST_P(ReportContract, AddReports_NoReportId_InvalidArgumentAndNothingStored) {
  NewReport bad = new_report("Org A", "", 0, {session("success", 1)});
  auto added = reports().add_reports({new_report("Org A", "ok", 0, {}), bad});
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, Errc::invalid_argument);
  EXPECT_TRUE(totals(ReportGrouping::result).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportContract,
                         ::testing::Values(Backend::sqlite, Backend::postgres), BackendParamName());

}  // namespace
}  // namespace mtasts::store::test
