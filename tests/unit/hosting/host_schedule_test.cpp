#include "mtasts/hosting/host_schedule.hpp"

#include <gtest/gtest.h>

namespace mtasts::hosting {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const HostTime kT0{seconds(1'700'000'000)};
constexpr seconds kDay{86'400};

CertificateStatus issued(std::string name, HostTime not_before, seconds lifetime) {
  CertificateStatus status;
  status.name = std::move(name);
  status.issued = true;
  status.not_before = not_before;
  status.not_after = not_before + lifetime;
  return status;
}

store::DomainRow delegated_row(HostTime created, std::string published_id = "") {
  store::DomainRow row;
  row.domain = core::new_hosted_domain("example.com", core::HostedPolicy{},
                                       core::RecordMode::delegated, created);
  row.published_id = std::move(published_id);
  return row;
}

TEST(HostSchedule, RenewalTime_TwoThirdsIntoTheLifetime_EarlierByAtMostFivePercent) {
  const seconds lifetime = 90 * kDay;
  for (const char* name : {"mta-sts.a.example", "mta-sts.b.example", "mta-sts.c.example"}) {
    const CertificateStatus cert = issued(name, kT0, lifetime);
    const HostTime renew = renewal_time(cert);
    EXPECT_LE(renew, kT0 + 60 * kDay) << name;
    EXPECT_GE(renew, kT0 + 60 * kDay - seconds(lifetime.count() / 20) - seconds(1)) << name;
    // Every instance computes the same time for a name.
    EXPECT_EQ(renew, renewal_time(issued(name, kT0, lifetime)));
  }
  EXPECT_NE(renewal_time(issued("mta-sts.a.example", kT0, lifetime)),
            renewal_time(issued("mta-sts.b.example", kT0, lifetime)));
}

TEST(HostSchedule, CertificateNeed_IssueRenewBackoffNone) {
  EXPECT_EQ(certificate_need(std::nullopt, kT0), CertificateNeed::issue);
  CertificateStatus none;
  none.name = "mta-sts.a.example";
  EXPECT_EQ(certificate_need(none, kT0), CertificateNeed::issue);
  none.retry_at = kT0 + seconds(300);
  EXPECT_EQ(certificate_need(none, kT0), CertificateNeed::backoff);
  EXPECT_EQ(certificate_need(none, kT0 + seconds(300)), CertificateNeed::issue);
  CertificateStatus cert = issued("mta-sts.a.example", kT0, 90 * kDay);
  EXPECT_EQ(certificate_need(cert, kT0 + kDay), CertificateNeed::none);
  EXPECT_EQ(certificate_need(cert, kT0 + 61 * kDay), CertificateNeed::renew);
  EXPECT_EQ(certificate_need(cert, kT0 + 91 * kDay), CertificateNeed::renew);
  cert.retry_at = kT0 + 62 * kDay;
  EXPECT_EQ(certificate_need(cert, kT0 + 61 * kDay), CertificateNeed::backoff);
  // A failed renewal's backoff does not stop a certificate that is not due from being fine.
  EXPECT_EQ(certificate_need(cert, kT0 + kDay), CertificateNeed::none);
}

TEST(HostSchedule, RetryTime_FiveMinutesDoublingToADay_AtLeastRetryAfter) {
  EXPECT_EQ(retry_time(1, kT0, std::nullopt), kT0 + seconds(300));
  EXPECT_EQ(retry_time(2, kT0, std::nullopt), kT0 + seconds(600));
  EXPECT_EQ(retry_time(3, kT0, std::nullopt), kT0 + seconds(1200));
  EXPECT_EQ(retry_time(9, kT0, std::nullopt), kT0 + seconds(76'800));
  EXPECT_EQ(retry_time(10, kT0, std::nullopt), kT0 + kDay);
  EXPECT_EQ(retry_time(40, kT0, std::nullopt), kT0 + kDay);
  EXPECT_EQ(retry_time(1, kT0, seconds(3600)), kT0 + seconds(3600));
  EXPECT_EQ(retry_time(10, kT0, seconds(10)), kT0 + kDay);
  EXPECT_EQ(retry_time(0, kT0, std::nullopt), kT0 + seconds(300));
}

TEST(HostSchedule, ExpiryBuckets) {
  EXPECT_EQ(expiry_bucket(std::nullopt, kT0), "missing");
  EXPECT_EQ(expiry_bucket(issued("n", kT0 - 90 * kDay, 89 * kDay), kT0), "expired");
  EXPECT_EQ(expiry_bucket(issued("n", kT0 - 80 * kDay, 86 * kDay), kT0), "lt7d");
  EXPECT_EQ(expiry_bucket(issued("n", kT0 - 80 * kDay, 90 * kDay), kT0), "lt14d");
  EXPECT_EQ(expiry_bucket(issued("n", kT0 - 70 * kDay, 90 * kDay), kT0), "lt30d");
  EXPECT_EQ(expiry_bucket(issued("n", kT0, 90 * kDay), kT0), "ge30d");
  EXPECT_EQ(days_left(kT0 + kDay - seconds(1), kT0), 0);
  EXPECT_EQ(days_left(kT0 - seconds(1), kT0), -1);
}

TEST(HostSchedule, RecordAction_PublishesOnlyAfterTheVersionSettled) {
  const store::DomainRow fresh = delegated_row(kT0);
  EXPECT_EQ(record_action(fresh, kT0, seconds(5)), RecordAction::wait);
  EXPECT_EQ(record_action(fresh, kT0 + seconds(4), seconds(5)), RecordAction::wait);
  EXPECT_EQ(record_action(fresh, kT0 + seconds(5), seconds(5)), RecordAction::publish);
  const store::DomainRow published = delegated_row(kT0, fresh.domain.current.id);
  EXPECT_EQ(record_action(published, kT0 + hours(1), seconds(5)), RecordAction::none);
  store::DomainRow self = fresh;
  self.domain.records = core::RecordMode::self;
  EXPECT_EQ(record_action(self, kT0 + hours(1), seconds(5)), RecordAction::none);
}

TEST(HostSchedule, Removal_EndsAtServeUntil) {
  store::DomainRow row = delegated_row(kT0);
  auto removing = core::begin_hosted_removal(row.domain, kT0 + seconds(10));
  ASSERT_TRUE(removing);
  row.domain = *removing;
  const HostTime until = *row.domain.serve_until;
  EXPECT_EQ(until, kT0 + seconds(10) + seconds(core::kHostedDefaultMaxAge));
  EXPECT_FALSE(removal_ended(row, until - seconds(1)));
  EXPECT_TRUE(removal_ended(row, until));
  // The none version is published like any other while the removal runs.
  EXPECT_EQ(record_action(row, kT0 + seconds(20), seconds(5)), RecordAction::publish);
  EXPECT_EQ(record_action(row, until, seconds(5)), RecordAction::none);
  EXPECT_FALSE(removal_ended(delegated_row(kT0), kT0 + kDay * 365));
}

TEST(HostSchedule, RecordRetry_FiveSecondsDoublingToTenMinutes) {
  EXPECT_EQ(record_retry_time(1, kT0), kT0 + seconds(5));
  EXPECT_EQ(record_retry_time(2, kT0), kT0 + seconds(10));
  EXPECT_EQ(record_retry_time(20, kT0), kT0 + seconds(600));
}

TEST(HostSchedule, MonitorTimes_SpreadByName) {
  const seconds interval(3600);
  for (const char* name : {"a.example", "b.example", "c.example", "d.example"}) {
    const HostTime first = first_check_time(name, kT0, interval);
    EXPECT_GE(first, kT0);
    EXPECT_LT(first, kT0 + seconds(300));
    const HostTime next = next_check_time(name, kT0, interval);
    EXPECT_GE(next, kT0 + seconds(3240));
    EXPECT_LE(next, kT0 + seconds(3960));
  }
  EXPECT_LT(first_check_time("a.example", kT0, seconds(2)), kT0 + seconds(2));
  EXPECT_GE(next_check_time("a.example", kT0, seconds(1)), kT0 + seconds(1));
}

TEST(HostSchedule, StaleIdExpected_WithinTheGrace) {
  const store::DomainRow row = delegated_row(kT0);
  EXPECT_TRUE(stale_id_expected(row.domain, kT0 + seconds(9), seconds(10)));
  EXPECT_FALSE(stale_id_expected(row.domain, kT0 + seconds(10), seconds(10)));
}

TEST(HostSchedule, Names) {
  EXPECT_EQ(policy_host_name("example.com"), "mta-sts.example.com");
  EXPECT_EQ(policy_domain_of("mta-sts.example.com"), "example.com");
  EXPECT_EQ(policy_domain_of("www.example.com"), "");
  EXPECT_GE(stable_fraction("x"), 0.0);
  EXPECT_LT(stable_fraction("x"), 1.0);
  EXPECT_EQ(stable_fraction("x"), stable_fraction("x"));
}

}  // namespace
}  // namespace mtasts::hosting
