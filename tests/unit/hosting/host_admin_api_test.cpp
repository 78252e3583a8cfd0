// The admin API against a real SQLite store, a fake clock and a resolver answering from maps.

#include "host_test_support.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::seconds;

using AdminApiTest = HostFixture;

TEST_F(AdminApiTest, Add_ProposesTheLiveMx_InTesting_AndServesAtOnce) {
  const net::HttpResponse added = request("POST", "/v1/domains", R"({"domain":"Example.COM"})");
  ASSERT_EQ(added.status, 201u) << added.body;
  const nlohmann::json body = json(added);
  EXPECT_EQ(body["domain"], "example.com");
  EXPECT_EQ(body["mode"], "testing");
  EXPECT_EQ(body["max_age"], 604800);
  EXPECT_EQ(body["mx"], nlohmann::json({"mx1.example.com", "mx2.example.com"}));
  EXPECT_EQ(body["mx_from_live_mx"], nlohmann::json({"mx1.example.com", "mx2.example.com"}));
  const nlohmann::json txt = {{"owner", "_mta-sts.example.com"},
                              {"type", "TXT"},
                              {"value", "v=STSv1; id=" + body["id"].get<std::string>()},
                              {"ttl", 300},
                              {"managed_by_service", false}};
  EXPECT_NE(std::find(body["records"].begin(), body["records"].end(), txt), body["records"].end())
      << body["records"];
  auto served = source_.policy_body("example.com");
  ASSERT_TRUE(served);
  EXPECT_EQ(*served,
            "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\n"
            "max_age: 604800\r\n");
  const auto entries = *store_->direct().audit_log("example.com", 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action, "domain.add");
  EXPECT_EQ(entries[0].actor, "api:alice");
}

TEST_F(AdminApiTest, Add_Refusals) {
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 201u);
  const net::HttpResponse again = request("POST", "/v1/domains", R"({"domain":"example.com"})");
  EXPECT_EQ(again.status, 409u);
  EXPECT_EQ(json(again)["error"]["field"], "domain");
  net::MxAnswer failed;
  failed.meta.status = net::DnsStatus::servfail;
  resolver_.mx["broken.example"] = failed;
  const net::HttpResponse lookup = request("POST", "/v1/domains", R"({"domain":"broken.example"})");
  EXPECT_EQ(lookup.status, 400u);
  EXPECT_EQ(json(lookup)["error"]["field"], "mx");
  const net::HttpResponse no_mx = request("POST", "/v1/domains", R"({"domain":"nomx.example"})");
  EXPECT_EQ(no_mx.status, 400u);
  EXPECT_EQ(json(no_mx)["error"]["field"], "mx");
  const net::HttpResponse bad =
      request("POST", "/v1/domains", R"({"domain":"a.example","mx":[1]})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(json(bad)["error"]["field"], "mx[0]");
  EXPECT_FALSE(stored("a.example"));
}

TEST_F(AdminApiTest, Tokens_AreRequired) {
  EXPECT_EQ(request("GET", "/v1/domains", "", "").status, 401u);
  EXPECT_EQ(request("GET", "/v1/domains", "", std::string(kToken) + "0").status, 401u);
  EXPECT_EQ(request("GET", "/v1/domains").status, 200u);
  EXPECT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})", "nope").status, 401u);
  EXPECT_FALSE(stored("example.com"));
}

TEST_F(AdminApiTest, Set_MakesANewVersion_OnlyWhenSomethingChanged) {
  const std::string first =
      json(request("POST", "/v1/domains", R"({"domain":"example.com"})"))["id"];
  clock_.advance(seconds(10));
  const net::HttpResponse changed =
      request("PATCH", "/v1/domains/example.com", R"({"mode":"enforce","max_age":86400})");
  ASSERT_EQ(changed.status, 200u) << changed.body;
  const nlohmann::json body = json(changed);
  EXPECT_TRUE(body["changed"]);
  EXPECT_NE(body["id"], first);
  EXPECT_EQ(body["previous_id"], first);
  EXPECT_EQ(body["mode"], "enforce");
  EXPECT_EQ(body["mx"], nlohmann::json({"mx1.example.com", "mx2.example.com"}));
  EXPECT_EQ(*source_.policy_body("example.com"),
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\n"
            "max_age: 86400\r\n");
  const net::HttpResponse same =
      request("PATCH", "/v1/domains/example.com", R"({"mode":"enforce"})");
  ASSERT_EQ(same.status, 200u);
  EXPECT_FALSE(json(same)["changed"]);
  EXPECT_EQ(json(same)["id"], body["id"]);
  const nlohmann::json shown = json(request("GET", "/v1/domains/example.com"));
  ASSERT_EQ(shown["history"].size(), 2u);
  EXPECT_EQ(shown["history"][0]["id"], body["id"]);
  EXPECT_EQ(shown["history"][1]["id"], first);
  EXPECT_EQ(shown["certificate"], nullptr);
  EXPECT_EQ(audit_actions("example.com"), (std::vector<std::string>{"domain.set", "domain.add"}));
  EXPECT_EQ(request("PATCH", "/v1/domains/example.com", "{}").status, 400u);
  EXPECT_EQ(request("PATCH", "/v1/domains/other.example", R"({"mode":"none"})").status, 404u);
}

TEST_F(AdminApiTest, Remove_ServesNoneUntilTheLongestMaxAge_ThenNothing) {
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com","max_age":3600})").status,
            201u);
  clock_.advance(seconds(5));
  ASSERT_EQ(request("PATCH", "/v1/domains/example.com", R"({"max_age":600})").status, 200u);
  clock_.advance(seconds(5));
  const core::HostTime removed_at = clock_.now();
  const net::HttpResponse removing = request("DELETE", "/v1/domains/example.com");
  ASSERT_EQ(removing.status, 202u) << removing.body;
  const nlohmann::json body = json(removing);
  EXPECT_EQ(body["state"], "removing");
  EXPECT_EQ(body["mode"], "none");
  EXPECT_EQ(body["serve_until"], core::format_utc(removed_at + seconds(3600)));
  EXPECT_NE(source_.policy_body("example.com")->find("mode: none"), std::string::npos);
  EXPECT_EQ(request("DELETE", "/v1/domains/example.com").status, 409u);
  EXPECT_EQ(request("PATCH", "/v1/domains/example.com", R"({"mode":"enforce"})").status, 409u);
  EXPECT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 409u);
  clock_.advance(seconds(3599));
  ASSERT_TRUE(run(io_, sync_->sync_once()));
  EXPECT_TRUE(source_.policy_body("example.com"));
  clock_.advance(seconds(1));
  ASSERT_TRUE(run(io_, sync_->sync_once()));
  EXPECT_FALSE(source_.policy_body("example.com"));
}

TEST_F(AdminApiTest, ListStatusMonitorAudit) {
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 201u);
  const nlohmann::json listed = json(request("GET", "/v1/domains"));
  ASSERT_EQ(listed["domains"].size(), 1u);
  EXPECT_EQ(listed["domains"][0]["domain"], "example.com");
  EXPECT_EQ(listed["domains"][0]["certificate_not_after"], nullptr);
  EXPECT_EQ(listed["domains"][0]["monitor"], nullptr);
  const nlohmann::json status = json(request("GET", "/v1/status"));
  EXPECT_EQ(status["store"], "sqlite");
  EXPECT_EQ(status["domains"]["active"], 1);
  EXPECT_EQ(status["certificates"]["missing"], 1);
  const net::HttpResponse monitor = request("GET", "/v1/domains/example.com/monitor");
  EXPECT_EQ(monitor.status, 404u);
  EXPECT_EQ(json(monitor)["error"]["field"], "");
  EXPECT_EQ(request("GET", "/v1/domains/unknown.example/monitor").status, 404u);
  const nlohmann::json audit = json(request("GET", "/v1/audit?domain=example.com&limit=5"));
  ASSERT_EQ(audit["entries"].size(), 1u);
  EXPECT_EQ(audit["entries"][0]["action"], "domain.add");
  EXPECT_EQ(audit["entries"][0]["detail"]["mx_from_live_mx"],
            nlohmann::json({"mx1.example.com", "mx2.example.com"}));
  EXPECT_EQ(request("GET", "/v1/audit?limit=0").status, 400u);
  EXPECT_EQ(request("GET", "/v1/nothing").status, 404u);
  EXPECT_EQ(request("PUT", "/v1/domains").status, 405u);
}

}  // namespace
}  // namespace mtasts::hosting::testing
