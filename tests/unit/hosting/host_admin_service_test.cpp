// The service's own routes: instances written by the sync loop's heartbeat and listed by
// GET /v1/instances with a stale flag; the ACME account in GET /v1/status; both operator-only.

#include "host_test_support.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::seconds;

class AdminServiceTest : public HostFixture {
 protected:
  store::InstanceRow instance(std::string name, core::HostTime last_seen) {
    return store::InstanceRow{std::move(name), "1.0.0",    kStart - seconds(3600),
                              last_seen,       seconds(5), R"(["https 127.0.0.1:443"])"};
  }

  std::vector<store::InstanceRow> stored_instances() {
    auto rows = store_->direct().list_instances();
    EXPECT_TRUE(rows) << rows.error().message;
    return rows.value_or(std::vector<store::InstanceRow>{});
  }

  std::uint64_t generation() { return store_->direct().generation().value_or(0); }
};

TEST(InstanceStale, AfterThreeIntervals_AtLeastTheFloor) {
  const core::HostTime now = kStart;
  store::InstanceRow row{"a", "1", now, now, seconds(5), "[]"};
  struct Case {
    seconds interval;
    seconds age;
    bool stale;
  };
  const Case cases[] = {
      {seconds(5), seconds(0), false},   {seconds(5), seconds(10), false},
      {seconds(5), seconds(15), false},  {seconds(5), seconds(16), true},
      {seconds(30), seconds(90), false}, {seconds(30), seconds(91), true},
      {seconds(1), seconds(3), false},   {seconds(1), seconds(10), false},
      {seconds(1), seconds(11), true},   {seconds(0), seconds(600), true},
  };
  for (const Case& c : cases) {
    row.sync_interval = c.interval;
    row.last_seen = now - c.age;
    EXPECT_EQ(instance_stale(row, now), c.stale)
        << "interval " << c.interval.count() << " age " << c.age.count();
  }
}

TEST_F(AdminServiceTest, Heartbeat_WrittenEachInterval_NotOnExtraPasses_GenerationUnchanged) {
  EXPECT_TRUE(stored_instances().empty());
  const std::uint64_t before = generation();
  sync_->set_heartbeat(instance("test", kStart));

  ASSERT_TRUE(run(io_, sync_->sync_once()));
  std::vector<store::InstanceRow> rows = stored_instances();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "test");
  EXPECT_EQ(rows[0].last_seen, kStart);
  EXPECT_EQ(rows[0].listeners, R"(["https 127.0.0.1:443"])");

  // Within half the interval (a change made through the API syncs at once): no write.
  clock_.advance(seconds(1));
  ASSERT_TRUE(run(io_, sync_->sync_once(true)));
  EXPECT_EQ(stored_instances().at(0).last_seen, kStart);

  clock_.advance(seconds(4));
  ASSERT_TRUE(run(io_, sync_->sync_once()));
  EXPECT_EQ(stored_instances().at(0).last_seen, kStart + seconds(5));
  // No instance reloads because another one beat.
  EXPECT_EQ(generation(), before);
}

TEST_F(AdminServiceTest, Instances_ListedWithStaleAndSelf) {
  ASSERT_TRUE(store_->direct().put_instance(instance("test", kStart)));
  ASSERT_TRUE(store_->direct().put_instance(instance("gone", kStart - seconds(60))));
  ASSERT_TRUE(store_->direct().put_instance(
      store::InstanceRow{"odd", "0.9", kStart, kStart, seconds(5), "not json"}));

  const net::HttpResponse response = request("GET", "/v1/instances");
  ASSERT_EQ(response.status, 200u) << response.body;
  const nlohmann::json body = json(response);
  ASSERT_EQ(body["instances"].size(), 3u);
  const nlohmann::json& gone = body["instances"][0];
  EXPECT_EQ(gone["name"], "gone");
  EXPECT_EQ(gone["stale"], true);
  EXPECT_EQ(gone["self"], false);
  EXPECT_EQ(gone["last_seen"], core::format_utc(kStart - seconds(60)));
  const nlohmann::json& odd = body["instances"][1];
  EXPECT_EQ(odd["listeners"], nlohmann::json::array());
  const nlohmann::json& self = body["instances"][2];
  EXPECT_EQ(self["name"], "test");
  EXPECT_EQ(self["stale"], false);
  EXPECT_EQ(self["self"], true);
  EXPECT_EQ(self["version"], "1.0.0");
  EXPECT_EQ(self["started_at"], core::format_utc(kStart - seconds(3600)));
  EXPECT_EQ(self["sync_interval_seconds"], 5);
  EXPECT_EQ(self["listeners"], nlohmann::json::array({"https 127.0.0.1:443"}));
}

TEST_F(AdminServiceTest, Instances_OperatorOnly_GetOnly) {
  EXPECT_EQ(request("GET", "/v1/instances").status, 200u);
  EXPECT_EQ(request("GET", "/v1/instances/").status, 200u);
  EXPECT_EQ(request("GET", "/v1/instances", "", "").status, 401u);
  // As every route about the service itself: a customer gets the answer of no such route.
  const net::HttpResponse customer = request("GET", "/v1/instances", "", kCustomerToken);
  EXPECT_EQ(customer.status, 404u);
  EXPECT_EQ(customer.body.find("instances\":"), std::string::npos);
  const net::HttpResponse post = request("POST", "/v1/instances", "{}");
  EXPECT_EQ(post.status, 405u);
}

TEST_F(AdminServiceTest, Status_AcmeAccount_NullUntilRegistered_NeverTheKey) {
  nlohmann::json status = json(request("GET", "/v1/status"));
  EXPECT_EQ(status["acme"]["directory"], kAcmeDirectory);
  EXPECT_EQ(status["acme"]["contact"], nlohmann::json::array({kAcmeContact}));
  EXPECT_TRUE(status["acme"]["account_url"].is_null());
  EXPECT_TRUE(status["acme"]["created_at"].is_null());

  const std::string key = "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n";
  ASSERT_TRUE(store_->direct().put_acme_account(
      store::AcmeAccountRow{"https://other.test/dir", key, "https://other.test/acct/1", kStart}));
  status = json(request("GET", "/v1/status"));
  EXPECT_TRUE(status["acme"]["account_url"].is_null()) << "another directory's account";

  ASSERT_TRUE(store_->direct().put_acme_account(
      store::AcmeAccountRow{kAcmeDirectory, key, "https://acme.test/acct/7", kStart}));
  const net::HttpResponse response = request("GET", "/v1/status");
  status = json(response);
  EXPECT_EQ(status["acme"]["account_url"], "https://acme.test/acct/7");
  EXPECT_EQ(status["acme"]["created_at"], core::format_utc(kStart));
  EXPECT_EQ(response.body.find("SECRET"), std::string::npos);
  EXPECT_EQ(response.body.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(status["instance"], "test");
}

}  // namespace
}  // namespace mtasts::hosting::testing
