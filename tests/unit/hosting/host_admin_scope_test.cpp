// Roles in the admin API: a customer token reaches only the domains of its scope, on every
// route, and an unknown domain and another customer's domain answer the same.

#include "host_test_support.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::seconds;

class AdminScopeTest : public HostFixture {
 protected:
  void SetUp() override {
    HostFixture::SetUp();
    ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 201u);
    ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"other.example"})").status, 201u);
  }
  net::HttpResponse as_customer(const std::string& method, const std::string& target,
                                const std::string& body = "") {
    return request(method, target, body, kCustomerToken);
  }
  // Stores a report about `domain` and returns its id.
  std::int64_t store_report(const std::string& domain, const std::string& report_id) {
    store::NewReport report;
    report.report.domain = domain;
    report.report.reporter = "reporter.example";
    report.report.report_id = report_id;
    report.report.start = kStart - std::chrono::days(1);
    report.report.end = kStart;
    report.report.received_at = kStart;
    report.report.raw = R"({"organization-name":"reporter.example"})";
    report.report.findings = "[]";
    EXPECT_TRUE(store_->direct().reports().add_reports({report}));
    auto listed = store_->direct().reports().list_reports(domain, kStart - std::chrono::days(30),
                                                          kStart + std::chrono::days(1), 10);
    EXPECT_TRUE(listed && !listed->empty());
    return listed && !listed->empty() ? listed->front().id : 0;
  }
};

TEST_F(AdminScopeTest, Customer_ListsOnlyItsDomains) {
  const nlohmann::json all = json(request("GET", "/v1/domains"));
  EXPECT_EQ(all["total"], 2);
  const nlohmann::json mine = json(as_customer("GET", "/v1/domains"));
  ASSERT_EQ(mine["domains"].size(), 1u);
  EXPECT_EQ(mine["domains"][0]["domain"], "example.com");
  EXPECT_EQ(mine["total"], 1);
  EXPECT_EQ(json(as_customer("GET", "/v1/domains?q=other"))["total"], 0);
}

TEST_F(AdminScopeTest, Customer_AnotherDomainAnswersAsUnknown_OnEveryRoute) {
  const net::HttpResponse unknown = as_customer("GET", "/v1/domains/unknown.example");
  const net::HttpResponse other = as_customer("GET", "/v1/domains/other.example");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(json(other)["error"]["message"], "other.example is not hosted here");
  EXPECT_EQ(json(unknown)["error"]["message"], "unknown.example is not hosted here");
  // Spelt otherwise, percent-encoded, with a trailing dot: the same refusal.
  EXPECT_EQ(as_customer("GET", "/v1/domains/OTHER.example.").status, 404u);
  EXPECT_EQ(as_customer("GET", "/v1/domains/other%2Eexample").status, 404u);
  EXPECT_EQ(as_customer("GET", "/v1/domains/other.example/monitor").status, 404u);
  EXPECT_EQ(as_customer("GET", "/v1/domains/other.example/reports").status, 404u);
  EXPECT_EQ(as_customer("PATCH", "/v1/domains/other.example", R"({"mode":"enforce"})").status,
            404u);
  EXPECT_EQ(as_customer("DELETE", "/v1/domains/other.example").status, 404u);
  EXPECT_EQ(stored("other.example")->domain.current.policy.mode, core::PolicyMode::testing);
  EXPECT_EQ(stored("other.example")->domain.state, core::HostedState::active);
  // Adding a domain outside the scope, hosted or not, answers the same.
  EXPECT_EQ(as_customer("POST", "/v1/domains", R"({"domain":"other.example"})").status, 404u);
  EXPECT_EQ(
      as_customer("POST", "/v1/domains", R"({"domain":"new.example","mx":["mx.new.example"]})")
          .status,
      404u);
  EXPECT_FALSE(stored("new.example"));
  EXPECT_EQ(as_customer("GET", "/v1/audit?domain=other.example").status, 404u);
  EXPECT_EQ(as_customer("GET", "/v1/reports?domain=other.example").status, 404u);
  // Its own domain works.
  EXPECT_EQ(as_customer("GET", "/v1/domains/example.com").status, 200u);
  EXPECT_EQ(as_customer("PATCH", "/v1/domains/example.com", R"({"mode":"enforce"})").status, 200u);
  EXPECT_EQ(audit_actions("example.com").front(), "domain.set");
  EXPECT_EQ(store_->direct().audit_log("example.com", 1)->front().actor, "api:carol");
}

TEST_F(AdminScopeTest, Customer_ServiceRoutesAreRefused_ListsFiltered) {
  EXPECT_EQ(request("GET", "/v1/status").status, 200u);
  EXPECT_EQ(as_customer("GET", "/v1/status").status, 404u);
  const nlohmann::json audit = json(as_customer("GET", "/v1/audit"));
  ASSERT_EQ(audit["entries"].size(), 1u);
  EXPECT_EQ(audit["entries"][0]["domain"], "example.com");
  const std::int64_t mine = store_report("example.com", "r-1");
  const std::int64_t theirs = store_report("other.example", "r-2");
  const nlohmann::json reports = json(as_customer("GET", "/v1/reports"));
  ASSERT_EQ(reports["reports"].size(), 1u);
  EXPECT_EQ(reports["reports"][0]["domain"], "example.com");
  EXPECT_EQ(json(request("GET", "/v1/reports"))["reports"].size(), 2u);
  EXPECT_EQ(as_customer("GET", "/v1/reports/" + std::to_string(mine)).status, 200u);
  const net::HttpResponse other = as_customer("GET", "/v1/reports/" + std::to_string(theirs));
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(json(other)["error"]["message"], "no such report: " + std::to_string(theirs));
  EXPECT_EQ(request("GET", "/v1/reports/" + std::to_string(theirs)).status, 200u);
  store::KeptApartReport apart;
  apart.received_at = kStart;
  apart.reason = "dkim-fail";
  apart.domain = "other.example";
  ASSERT_TRUE(store_->direct().reports().keep_apart(apart));
  apart.domain = "Example.COM";
  ASSERT_TRUE(store_->direct().reports().keep_apart(apart));
  const nlohmann::json kept = json(as_customer("GET", "/v1/reports/apart"));
  ASSERT_EQ(kept["reports"].size(), 1u);
  EXPECT_EQ(kept["reports"][0]["domain"], "Example.COM");
  EXPECT_EQ(json(request("GET", "/v1/reports/apart"))["reports"].size(), 2u);
}

TEST_F(AdminScopeTest, List_PagesFiltersAndCounts) {
  for (const char* name : {"a.example", "b.example", "c.example"}) {
    ASSERT_EQ(request("POST", "/v1/domains",
                      std::string(R"({"domain":")") + name + R"(","mx":["mx.)" + name + R"("]})")
                  .status,
              201u);
  }
  ASSERT_EQ(request("PATCH", "/v1/domains/b.example", R"({"mode":"enforce"})").status, 200u);
  const nlohmann::json first = json(request("GET", "/v1/domains?limit=2"));
  EXPECT_EQ(first["total"], 5);
  ASSERT_EQ(first["domains"].size(), 2u);
  EXPECT_EQ(first["domains"][0]["domain"], "a.example");
  EXPECT_EQ(first["domains"][0]["tlsrpt_7d"]["success_rate"], nullptr);
  EXPECT_EQ(first["domains"][0]["records_ok"], nullptr);
  const nlohmann::json last = json(request("GET", "/v1/domains?limit=2&offset=4"));
  ASSERT_EQ(last["domains"].size(), 1u);
  EXPECT_EQ(last["offset"], 4);
  const nlohmann::json enforce = json(request("GET", "/v1/domains?mode=enforce"));
  ASSERT_EQ(enforce["domains"].size(), 1u);
  EXPECT_EQ(enforce["domains"][0]["domain"], "b.example");
  EXPECT_EQ(json(request("GET", "/v1/domains?q=.EXAMPLE"))["total"], 4);
  EXPECT_EQ(request("GET", "/v1/domains?limit=0").status, 400u);
  EXPECT_EQ(request("GET", "/v1/domains?mode=strict").status, 400u);
  EXPECT_EQ(request("GET", "/v1/domains?offset=-1").status, 400u);
}

}  // namespace
}  // namespace mtasts::hosting::testing
