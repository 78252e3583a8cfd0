// The certificate manager, the record manager and the monitor's rules, with fakes for ACME and
// DNS UPDATE, a fake clock and a real SQLite store.

#include "host_test_support.hpp"
#include "mtasts/hosting/host_certificates.hpp"
#include "mtasts/hosting/host_monitor.hpp"
#include "mtasts/hosting/host_records.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::seconds;

class ManagersTest : public HostFixture {
 protected:
  void add(const std::string& body) {
    const net::HttpResponse added = request("POST", "/v1/domains", body);
    ASSERT_EQ(added.status, 201u) << added.body;
  }

  CertificateManager certificates(net::AcmeClient& acme) {
    return CertificateManager(
        io_.get_executor(), *store_, *sync_, acme, *board_, resolver_, clock_, log_,
        CertificateManagerOptions{kService, "test", "https://ca.test/dir", seconds(60), 4});
  }

  RecordManager records(net::DnsUpdater* updater) {
    return RecordManager(io_.get_executor(), *store_, *sync_, updater, clock_, log_,
                         RecordManagerOptions{kService, "test", 60, seconds(5)});
  }
};

TEST_F(ManagersTest, Certificate_IssuedOnce_ForANameThatPointsHere) {
  add(R"({"domain":"example.com"})");
  resolver_.set_address("mta-sts.example.com", {"192.0.2.10"}, {"mta-sts.provider.test"});
  FakeAcme acme(clock_);
  CertificateManager manager = certificates(acme);
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().issued == 1 && manager.in_flight() == 0; }));
  EXPECT_EQ(acme.ordered, (std::vector<std::string>{"mta-sts.example.com"}));
  EXPECT_TRUE(certificates_.has("mta-sts.example.com"));
  auto row = *store_->direct().get_certificate("mta-sts.example.com");
  ASSERT_TRUE(row);
  EXPECT_FALSE(row->chain_pem.empty());
  EXPECT_EQ(row->failures, 0u);
  EXPECT_EQ(audit_actions("example.com").front(), "cert.issued");
  // The challenge went through the store and was withdrawn.
  EXPECT_FALSE(*store_->direct().get_challenge("token-1", clock_.now()));
  // Not due again until two thirds of 90 days, less up to 5% of jitter.
  manager.scan();
  clock_.advance(seconds(55 * 86'400));
  manager.scan();
  drive(io_, [&] { return manager.in_flight() == 0; });
  EXPECT_EQ(acme.ordered.size(), 1u);
  clock_.advance(seconds(6 * 86'400));
  run(io_, sync_->sync_once());
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().issued == 2 && manager.in_flight() == 0; }));
  EXPECT_EQ(acme.ordered.size(), 2u);
}

TEST_F(ManagersTest, Certificate_NotOrdered_WhenTheNamePointsElsewhere) {
  add(R"({"domain":"example.com"})");
  resolver_.set_address("mta-sts.example.com", {"198.51.100.7"});
  FakeAcme acme(clock_);
  CertificateManager manager = certificates(acme);
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().gate_refused == 1 && manager.in_flight() == 0; }));
  EXPECT_TRUE(acme.ordered.empty());
  // It waits a minute before it looks again, then orders once the DNS is right.
  resolver_.set_address("mta-sts.example.com", {"192.0.2.10"});
  manager.scan();
  drive(io_, [&] { return manager.in_flight() == 0; });
  EXPECT_TRUE(acme.ordered.empty());
  clock_.advance(seconds(60));
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().issued == 1 && manager.in_flight() == 0; }));
}

TEST_F(ManagersTest, Certificate_FailureBacksOff_HonouringRetryAfter) {
  add(R"({"domain":"example.com"})");
  resolver_.set_address("mta-sts.example.com", {"192.0.2.10"}, {"mta-sts.provider.test"});
  FakeAcme acme(clock_);
  net::AcmeError limited;
  limited.code = net::AcmeErrc::problem;
  limited.message = "too many certificates";
  limited.problem_type = "urn:ietf:params:acme:error:rateLimited";
  limited.retry_after = seconds(3600);
  acme.fail_with = limited;
  CertificateManager manager = certificates(acme);
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().failed == 1 && manager.in_flight() == 0; }));
  auto row = *store_->direct().get_certificate("mta-sts.example.com");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->failures, 1u);
  EXPECT_EQ(row->last_error, "too many certificates");
  EXPECT_EQ(row->retry_at, clock_.now() + seconds(3600));
  EXPECT_EQ(audit_actions("example.com").front(), "cert.failed");
  EXPECT_FALSE(certificates_.has("mta-sts.example.com"));
  clock_.advance(seconds(3599));
  manager.scan();
  drive(io_, [&] { return manager.in_flight() == 0; });
  EXPECT_EQ(acme.ordered.size(), 1u);
  acme.fail_with.reset();
  clock_.advance(seconds(1));
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().issued == 1 && manager.in_flight() == 0; }));
  EXPECT_EQ((*store_->direct().get_certificate("mta-sts.example.com"))->failures, 0u);
}

TEST_F(ManagersTest, Certificate_LeaseHeldElsewhere_NoOrder) {
  add(R"({"domain":"example.com"})");
  resolver_.set_address("mta-sts.example.com", {"192.0.2.10"}, {"mta-sts.provider.test"});
  ASSERT_TRUE(*store_->direct().acquire_lease("acme:mta-sts.example.com", "other-instance",
                                              seconds(600), clock_.now()));
  FakeAcme acme(clock_);
  CertificateManager manager = certificates(acme);
  manager.scan();
  ASSERT_TRUE(
      drive(io_, [&] { return manager.counters().lease_busy == 1 && manager.in_flight() == 0; }));
  EXPECT_TRUE(acme.ordered.empty());
}

TEST_F(ManagersTest, Record_PublishedAfterOneSyncInterval_WithRetries) {
  add(R"({"domain":"example.com","records":"delegated"})");
  const std::string id = stored("example.com")->domain.current.id;
  FakeUpdater updater;
  updater.failures_left = 1;
  RecordManager manager = records(&updater);
  manager.scan();
  drive(
      io_, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_TRUE(updater.calls.empty());  // the body first (RFC 8461 §8.1)
  clock_.advance(seconds(5));
  manager.scan();
  ASSERT_TRUE(drive(io_, [&] { return manager.counters().failed == 1; }));
  // The audit line is written by the store worker, after the counter: waited for, not raced.
  EXPECT_TRUE(drive(io_, [&] {
    const auto actions = audit_actions("example.com");
    return !actions.empty() && actions.front() == "record.failed";
  }));
  manager.scan();
  drive(
      io_, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(updater.calls.size(), 1u);  // backing off
  clock_.advance(seconds(5));
  manager.scan();
  ASSERT_TRUE(drive(io_, [&] { return manager.counters().updated == 1; }));
  EXPECT_EQ(updater.records.at("example.com.sts.provider.test"), "v=STSv1; id=" + id);
  EXPECT_EQ(updater.calls.back(), "replace example.com.sts.provider.test 60 v=STSv1; id=" + id);
  ASSERT_TRUE(drive(io_, [&] { return stored("example.com")->published_id == id; }));
  EXPECT_TRUE(drive(io_, [&] {
    const auto actions = audit_actions("example.com");
    return !actions.empty() && actions.front() == "record.updated";
  }));
  // Published: nothing more to do.
  run(io_, sync_->sync_once());
  manager.scan();
  drive(
      io_, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(updater.calls.size(), 2u);
}

TEST_F(ManagersTest, Removal_End_DeletesTheRecord_AndDropsTheDomain) {
  add(R"({"domain":"example.com","records":"delegated","max_age":60})");
  add(R"({"domain":"other.example"})");
  ASSERT_EQ(request("DELETE", "/v1/domains/example.com").status, 202u);
  ASSERT_EQ(request("DELETE", "/v1/domains/other.example").status, 202u);
  FakeUpdater updater;
  RecordManager manager = records(&updater);
  clock_.advance(seconds(59));
  run(io_, sync_->sync_once());
  manager.scan();
  drive(
      io_, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_TRUE(stored("example.com"));
  clock_.advance(seconds(1));
  run(io_, sync_->sync_once());
  manager.scan();
  ASSERT_TRUE(drive(io_, [&] { return manager.counters().dropped == 1; }));
  EXPECT_FALSE(stored("example.com"));
  EXPECT_EQ(updater.calls.back(), "remove example.com.sts.provider.test");
  EXPECT_EQ(audit_actions("example.com").front(), "domain.drop");
  EXPECT_FALSE(source_.policy_body("example.com"));
  // A self-managed domain's record is the customer's: only dropped (a week's max_age later).
  clock_.advance(seconds(604'800));
  run(io_, sync_->sync_once());
  manager.scan();
  ASSERT_TRUE(drive(io_, [&] { return manager.counters().dropped == 2; }));
  EXPECT_EQ(updater.calls.size(), 2u);  // the none id of example.com, and its removal
}

TEST(MonitorRules, StaleIdWithinTheGrace_IsAWarning_AndTheSenderViewKeepsAllButRecords) {
  const core::HostedDomain domain = core::new_hosted_domain(
      "example.com", core::HostedPolicy{core::PolicyMode::enforce, {"mx1.example.com"}, 86400},
      core::RecordMode::self, kStart);
  core::HostedObservation observed;
  observed.sts_records = std::vector<std::string>{"v=STSv1; id=1"};
  observed.policy_host_cname_chain = {"mta-sts.provider.test"};
  observed.policy_host_addresses = {"192.0.2.10"};
  observed.certificate_not_after = (kStart + seconds(90 * 86'400)).time_since_epoch().count();
  const std::vector<core::CheckFinding> sender = {
      core::make_check_finding(core::CheckCode::sts_record_missing, "_mta-sts.example.com", "x"),
      core::make_check_finding(core::CheckCode::mx_cert_expired, "mx1.example.com", "expired")};
  const auto within =
      monitor_findings(domain, kService, observed, sender, kStart + seconds(5), seconds(30));
  ASSERT_EQ(within.size(), 2u);
  EXPECT_EQ(within[0].id, core::CheckCode::hosted_id_stale);
  EXPECT_EQ(within[0].severity, core::CheckSeverity::warning);
  EXPECT_EQ(within[1].id, core::CheckCode::mx_cert_expired);
  EXPECT_FALSE(findings_pass(within));
  const auto after =
      monitor_findings(domain, kService, observed, {}, kStart + seconds(30), seconds(30));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].severity, core::CheckSeverity::error);
  observed.sts_records = std::vector<std::string>{"v=STSv1; id=" + domain.current.id};
  EXPECT_TRUE(findings_pass(monitor_findings(domain, kService, observed, {}, kStart, seconds(30))));
  const nlohmann::json alert =
      nlohmann::json::parse(alert_json("example.com", false, true, kStart, "host-a", after));
  EXPECT_EQ(alert["event"], "mtasts-host-monitor");
  EXPECT_EQ(alert["previous"], true);
  EXPECT_EQ(alert["findings"][0]["code"], "hosted-id-stale");
}

}  // namespace
}  // namespace mtasts::hosting::testing
