// The alert hook's webhook: TLS checked as the policy fetcher checks it (an alert never goes to
// a host whose certificate is for another name), and the URL forms it accepts.

#include "mtasts/hosting/host_alert.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fake_resolver.hpp"
#include "test_https_server.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"

namespace mtasts::hosting {
namespace {

using namespace std::chrono_literals;
using net::testing::Credential;
using net::testing::ServerScript;
using net::testing::TestHttpsServer;
using net::testing::TestPki;

constexpr char kHookHost[] = "hooks.example.test";

class AlertWebhookTest : public ::testing::Test {
 protected:
  AlertWebhookTest() { resolver_.set_address(kHookHost, {"127.0.0.1"}); }

  TestHttpsServer& serve(const Credential& cert) {
    ServerScript script;
    script.head = "HTTP/1.1 204 No Content\r\n";
    script.add_content_length = false;
    servers_.push_back(std::make_unique<TestHttpsServer>(io_, cert, std::move(script)));
    return *servers_.back();
  }

  // Sends one alert through a hook for https://hooks.example.test:<port>/alert.
  AlertCounters alert(std::uint16_t port) {
    AlertSettings settings;
    settings.webhook = "https://" + std::string(kHookHost) + ":" + std::to_string(port) + "/alert";
    settings.timeout = 5s;
    auto hook = AlertHook::create(resolver_, settings, TestPki::instance().ca_file(), log_);
    EXPECT_TRUE(hook) << (hook ? "" : hook.error().message);
    if (!hook) {
      return {};
    }
    auto sent = net::testing::run_until_done(io_, send(**hook));
    EXPECT_TRUE(sent.has_value());
    return (*hook)->counters();
  }

  static boost::asio::awaitable<bool> send(AlertHook& hook) {
    co_await hook.send(R"({"domain":"example.com","passing":false})");
    co_return true;
  }

  boost::asio::io_context io_;
  net::testing::FakeResolver resolver_;
  net::Logger log_{net::LogLevel::error};
  std::vector<std::unique_ptr<TestHttpsServer>> servers_;
};

TEST_F(AlertWebhookTest, CertificateForTheHookHost_IsDelivered) {
  TestHttpsServer& server = serve(TestPki::instance().issue({kHookHost, {kHookHost}}));
  const AlertCounters counters = alert(server.port());
  EXPECT_EQ(counters.sent, 1U);
  EXPECT_EQ(counters.failed, 0U);
  EXPECT_EQ(server.log().sni, kHookHost);
  ASSERT_EQ(server.log().requests, 1);
  const std::string& head = server.log().request_heads.front();
  EXPECT_EQ(head.rfind("POST /alert HTTP/1.1\r\n", 0), 0U) << head;
  EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
}

TEST_F(AlertWebhookTest, CertificateForAnotherName_IsRefusedAndNothingIsSent) {
  for (const net::testing::LeafSpec& spec :
       {net::testing::LeafSpec{"other.example.test", {"other.example.test"}},
        net::testing::LeafSpec{kHookHost, {}}}) {  // the name in the CN only
    TestHttpsServer& server = serve(TestPki::instance().issue(spec));
    const AlertCounters counters = alert(server.port());
    EXPECT_EQ(counters.sent, 0U) << spec.common_name;
    EXPECT_EQ(counters.failed, 1U) << spec.common_name;
    EXPECT_EQ(server.log().requests, 0) << spec.common_name;
  }
}

TEST_F(AlertWebhookTest, UntrustedCertificate_IsRefusedAndNothingIsSent) {
  TestHttpsServer& server =
      serve(TestPki::instance().issue({kHookHost, {kHookHost}}, /*trusted=*/false));
  const AlertCounters counters = alert(server.port());
  EXPECT_EQ(counters.failed, 1U);
  EXPECT_EQ(server.log().requests, 0);
}

TEST(WebhookUrlTest, Forms) {
  const auto https = parse_webhook_url("https://[::1]:8443/a?b=c");
  ASSERT_TRUE(https);
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->host, "::1");
  EXPECT_EQ(https->port, 8443);
  EXPECT_EQ(https->target, "/a?b=c");
  const auto http = parse_webhook_url("http://hooks.example?x");
  ASSERT_TRUE(http);
  EXPECT_FALSE(http->tls);
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->target, "/?x");
  for (const char* bad : {"ftp://x/", "https://user@x/", "https://:80/", "https://x:0/",
                          "https://x:/", "https://[::1/"}) {
    EXPECT_FALSE(parse_webhook_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace mtasts::hosting
