// The HTTP client against the HTTPS test server: the fetcher's certificate checks (name, IP
// address, trust), the body cap and the one deadline.

#include "mtasts/net/http/http_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fake_resolver.hpp"
#include "test_https_server.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kHost[] = "api.example.test";

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() { resolver_.set_address(kHost, {"127.0.0.1"}); }

  static const TestPki& pki() { return TestPki::instance(); }

  TestHttpsServer& serve(const Credential& cert, std::string body = "hello") {
    ServerScript script;
    script.body = std::move(body);
    servers_.push_back(std::make_unique<TestHttpsServer>(io_, cert, std::move(script)));
    return *servers_.back();
  }
  TestHttpsServer& serve(ServerScript script) {
    servers_.push_back(
        std::make_unique<TestHttpsServer>(io_, pki().issue({kHost, {kHost}}), std::move(script)));
    return *servers_.back();
  }

  core::Result<ClientResponse> send(std::uint16_t port, std::string host = kHost,
                                    std::chrono::milliseconds timeout = 5s,
                                    std::size_t max_body = 1024) {
    HttpClientOptions options;
    options.ca_file = pki().ca_file();
    options.max_body_bytes = max_body;
    auto client = HttpClient::create(io_.get_executor(), resolver_, options);
    EXPECT_TRUE(client) << (client ? "" : client.error().message);
    if (!client) {
      return core::fail(core::Errc::invalid_value, "no client");
    }
    ClientRequest request;
    request.host = std::move(host);
    request.port = port;
    request.method = "POST";
    request.target = "/hook?x=1";
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = "{}";
    auto result =
        run_until_done(io_, client->send(std::move(request), HttpClient::Clock::now() + timeout));
    EXPECT_TRUE(result.has_value()) << "the request did not finish within the loop bound";
    return result.value_or(core::fail(core::Errc::invalid_value, "unfinished"));
  }

  boost::asio::io_context io_;
  FakeResolver resolver_;
  std::vector<std::unique_ptr<TestHttpsServer>> servers_;
};

TEST_F(HttpClientTest, RightName_IsAnsweredWithSniAndTheRequestAsWritten) {
  TestHttpsServer& server = serve(pki().issue({kHost, {kHost}}));
  const auto got = send(server.port());
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 200U);
  EXPECT_EQ(got->body, "hello");
  EXPECT_EQ(got->header("content-type"), "text/plain");
  EXPECT_EQ(server.log().sni, kHost);
  ASSERT_EQ(server.log().request_heads.size(), 1U);
  const std::string& head = server.log().request_heads[0];
  EXPECT_EQ(head.rfind("POST /hook?x=1 HTTP/1.1\r\n", 0), 0U) << head;
  EXPECT_NE(head.find("Host: api.example.test:" + std::to_string(server.port())), std::string::npos)
      << head;
  EXPECT_NE(head.find("Content-Length: 2"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
}

TEST_F(HttpClientTest, CertificateForAnotherName_IsRefusedBeforeAnyRequest) {
  const LeafSpec specs[] = {
      {"other.example.test", {"other.example.test"}},
      {kHost, {}},                   // the name in the CN only
      {"", {"api-*.example.test"}},  // a partial wildcard
      {"", {"*.test"}},              // a wildcard two labels up
  };
  for (const LeafSpec& spec : specs) {
    TestHttpsServer& server = serve(pki().issue(spec));
    const auto got = send(server.port());
    ASSERT_FALSE(got) << spec.common_name;
    EXPECT_NE(got.error().message.find("certificate"), std::string::npos) << got.error().message;
    EXPECT_EQ(server.log().requests, 0);
  }
}

TEST_F(HttpClientTest, UntrustedCa_IsRefusedBeforeAnyRequest) {
  TestHttpsServer& server = serve(pki().issue({kHost, {kHost}}, /*trusted=*/false));
  const auto got = send(server.port());
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("certificate"), std::string::npos) << got.error().message;
  EXPECT_EQ(server.log().requests, 0);
}

TEST_F(HttpClientTest, IpLiteral_SendsNoSniAndNeedsTheAddressInTheCertificate) {
  TestHttpsServer& good = serve(pki().issue({"", {kHost, "IP:127.0.0.1"}}));
  const auto got = send(good.port(), "127.0.0.1");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->status, 200U);
  EXPECT_EQ(good.log().sni, "");

  TestHttpsServer& named_only = serve(pki().issue({"127.0.0.1", {kHost}}));
  const auto refused = send(named_only.port(), "127.0.0.1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(named_only.log().requests, 0);
  EXPECT_TRUE(resolver_.asked.empty());  // a literal is not looked up
}

TEST_F(HttpClientTest, BodyOverTheCap_IsTooLarge) {
  TestHttpsServer& declared = serve(pki().issue({kHost, {kHost}}), std::string(2000, 'x'));
  const auto got = send(declared.port(), kHost, 5s, 1000);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, core::Errc::too_large) << got.error().message;

  ServerScript undeclared;
  undeclared.body = std::string(1000, 'x');
  undeclared.add_content_length = false;
  undeclared.endless = true;  // a body delimited by the close, and no end to it
  TestHttpsServer& endless = serve(undeclared);
  const auto cut = send(endless.port(), kHost, 5s, 1000);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, core::Errc::too_large) << cut.error().message;

  TestHttpsServer& fits = serve(pki().issue({kHost, {kHost}}), std::string(1000, 'x'));
  const auto whole = send(fits.port(), kHost, 5s, 1000);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->body.size(), 1000U);
}

TEST_F(HttpClientTest, OneDeadline_CoversATrickledBody) {
  ServerScript slow;
  slow.body = std::string(100, 'x');
  slow.chunk = 1;
  slow.pause = 50ms;  // five seconds in all, however steadily bytes arrive
  TestHttpsServer& server = serve(slow);
  const auto started = std::chrono::steady_clock::now();
  const auto got = send(server.port(), kHost, 700ms);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("deadline"), std::string::npos) << got.error().message;
  EXPECT_GE(took, 600ms);
  EXPECT_LT(took, 3s);
}

TEST_F(HttpClientTest, OneDeadline_CoversTheNameLookup) {
  resolver_.hang = true;
  const auto started = std::chrono::steady_clock::now();
  const auto got = send(unused_port(io_), kHost, 300ms);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("deadline passed while looking up api.example.test"),
            std::string::npos)
      << got.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpClientTest, UnknownHostAndClosedPort_AreErrorsNamingThem) {
  const auto unknown = send(unused_port(io_), "nowhere.example.test");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("cannot resolve nowhere.example.test"), std::string::npos)
      << unknown.error().message;
  const auto closed = send(unused_port(io_));
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.error().message.find("cannot connect to api.example.test:"), std::string::npos)
      << closed.error().message;
}

TEST_F(HttpClientTest, UnreadableCaFile_FailsAtCreation) {
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  const auto client = HttpClient::create(io_.get_executor(), resolver_, options);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message.find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace mtasts::net::testing
