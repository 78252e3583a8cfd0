// Fault injection against the HTTPS policy fetcher, HTTP side: status codes, redirects, media
// types, size limits, truncation, trickling, stalls. Servers run in-process on 127.0.0.1.

#include <boost/asio/ip/tcp.hpp>

#include "fetcher_fixture.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kLimit = core::kMaxPolicySize;
// What a client may read beyond the body limit: one response header and one read buffer.
constexpr std::size_t kReadSlack = 8 * 1024 + 16 * 1024;

ServerScript status(std::string line, std::string extra = {}) {
  ServerScript script;
  script.head = "HTTP/1.1 " + std::move(line) + "\r\nContent-Type: text/plain\r\n" + extra;
  script.body = kPolicy;
  return script;
}

TEST_F(FetcherTest, ValidPolicyHost_ReturnsTheBodyAndTheExchange) {
  TestHttpsServer& server = serve(status("200 OK"));
  const FetchResult r = fetch(server.port());
  ASSERT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_EQ(r.body, kPolicy);
  const HttpExchange& x = r.exchange;
  EXPECT_EQ(x.url, "https://mta-sts.example.com:" + std::to_string(server.port()) +
                       "/.well-known/mta-sts.txt");
  EXPECT_EQ(x.peer, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(x.status, 200u);
  EXPECT_TRUE(x.tls_version == "TLSv1.3" || x.tls_version == "TLSv1.2") << x.tls_version;
  ASSERT_TRUE(x.certificate);
  EXPECT_NE(x.certificate->subject.find("CN=mta-sts.example.com"), std::string::npos);
  EXPECT_EQ(x.certificate->dns_names, std::vector<std::string>{"mta-sts.example.com"});
  EXPECT_FALSE(x.certificate->not_after.empty());
  EXPECT_GE(x.bytes_received, r.body.size());
}

TEST_F(FetcherTest, Request_HasSniHostUserAgentAndNoConditionals) {
  TestHttpsServer& server = serve(status("200 OK"));
  ASSERT_EQ(fetch(server.port()).detail, FetchDetail::ok);
  EXPECT_EQ(server.log().sni, "mta-sts.example.com");  // CONFORMANCE 056
  ASSERT_EQ(server.log().request_heads.size(), 1u);
  const std::string& head = server.log().request_heads[0];
  EXPECT_EQ(head.rfind("GET /.well-known/mta-sts.txt HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: mta-sts.example.com:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(head.find("User-Agent: " + std::string(user_agent())), std::string::npos);
  EXPECT_NE(head.find("Connection: close"), std::string::npos);
  EXPECT_EQ(head.find("If-"), std::string::npos);  // CONFORMANCE 032 T3
}

TEST_F(FetcherTest, Redirects_AreNeverFollowed) {
  for (const char* line :
       {"301 Moved Permanently", "302 Found", "303 See Other", "307 Temporary Redirect",
        "308 Permanent Redirect", "304 Not Modified"}) {
    TestHttpsServer& server =
        serve(status(line, "Location: http://mta-sts.example.com/elsewhere\r\n"));
    const FetchResult r = fetch(server.port());
    EXPECT_EQ(r.detail, FetchDetail::redirect) << line;
    EXPECT_EQ(server.log().connections, 1) << line;  // CONFORMANCE 031: exactly one request
    EXPECT_EQ(server.log().requests, 1) << line;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST_F(FetcherTest, StatusOtherThan200_IsAFetchError) {
  for (const char* line :
       {"201 Created", "203 Non-Authoritative Information", "206 Partial Content", "404 Not Found",
        "410 Gone", "500 Internal Server Error", "503 Service Unavailable"}) {
    TestHttpsServer& server = serve(status(line));
    const FetchResult r = fetch(server.port());
    EXPECT_EQ(r.detail, FetchDetail::http_status) << line;
    EXPECT_EQ(to_result_type(r.detail), ResultType::sts_policy_fetch_error);
    EXPECT_EQ(r.exchange.status, static_cast<unsigned>(std::stoi(line))) << line;
  }
}

TEST_F(FetcherTest, MediaType_MustBeTextPlainParametersIgnored) {
  struct Case {
    const char* header;
    FetchDetail detail;
  };
  for (const Case& c :
       {Case{"Content-Type: text/html\r\n", FetchDetail::content_type},
        Case{"Content-Type: application/octet-stream\r\n", FetchDetail::content_type},
        Case{"", FetchDetail::content_type},
        Case{"Content-Type: Text/Plain; charset=\"UTF-8\"\r\n", FetchDetail::ok},
        Case{"Content-Type: text/plain; format=flowed\r\n", FetchDetail::ok}}) {
    ServerScript script;
    script.head = std::string("HTTP/1.1 200 OK\r\n") + c.header;
    script.body = kPolicy;
    const FetchResult r = fetch(serve(script).port());
    EXPECT_EQ(r.detail, c.detail) << c.header << r.message;
  }
}

TEST_F(FetcherTest, BodyOfExactly64KiB_IsAccepted) {
  ServerScript script = status("200 OK");
  script.body = std::string(kLimit, 'a');
  const FetchResult r = fetch(serve(script).port());
  EXPECT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_EQ(r.body.size(), kLimit);
}

TEST_F(FetcherTest, DeclaredOversizeBody_IsRefusedBeforeReadingIt) {
  for (const char* length : {"65537", "10000000000"}) {
    ServerScript script = status("200 OK", std::string("Content-Length: ") + length + "\r\n");
    script.add_content_length = false;
    script.body = std::string(16 * 1024, 'a');
    script.endless = true;
    const auto start = Clock::now();
    const FetchResult r = fetch(serve(script).port());
    EXPECT_EQ(r.detail, FetchDetail::too_large) << length << r.message;
    EXPECT_LE(r.exchange.bytes_received, 16 * 1024u) << length;  // CONFORMANCE 034 T3
    EXPECT_LT(Clock::now() - start, 3s);
  }
}

TEST_F(FetcherTest, UndeclaredOversizeBody_StopsAtTheLimit) {
  ServerScript close_delimited = status("200 OK");  // no length: the body ends at the close
  close_delimited.add_content_length = false;
  close_delimited.body = std::string(4096, 'a');
  close_delimited.endless = true;

  std::string chunked_body;
  for (int i = 0; i < 17; ++i) {  // 17 chunks of 4 KiB: 68 KiB
    chunked_body += "1000\r\n" + std::string(4096, 'b') + "\r\n";
  }
  chunked_body += "0\r\n\r\n";
  ServerScript chunked = status("200 OK", "Transfer-Encoding: chunked\r\n");
  chunked.add_content_length = false;
  chunked.body = chunked_body;

  for (const ServerScript& script : {close_delimited, chunked}) {
    TestHttpsServer& server = serve(script);
    const FetchResult r = fetch(server.port());
    EXPECT_EQ(r.detail, FetchDetail::too_large) << r.message;
    EXPECT_GT(r.exchange.bytes_received, kLimit);
    EXPECT_LE(r.exchange.bytes_received, kLimit + kReadSlack);  // never read far past 64 KiB
    EXPECT_TRUE(r.body.empty());
  }
}

TEST_F(FetcherTest, SmallChunkedBody_IsAccepted) {
  ServerScript script = status("200 OK", "Transfer-Encoding: chunked\r\n");
  script.add_content_length = false;
  const std::string policy = kPolicy;
  char size[16];
  std::snprintf(size, sizeof size, "%zx", policy.size());
  script.body = std::string(size) + "\r\n" + policy + "\r\n0\r\n\r\n";
  const FetchResult r = fetch(serve(script).port());
  EXPECT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_EQ(r.body, policy);
}

TEST_F(FetcherTest, ConnectionClosedMidBody_IsTruncated) {
  for (bool close_notify : {true, false}) {
    ServerScript script = status("200 OK");
    script.body = std::string(1000, 'a');
    script.cut_after = 500;
    script.close_notify = close_notify;
    const FetchResult r = fetch(serve(script).port());
    EXPECT_EQ(r.detail, FetchDetail::truncated) << close_notify << r.message;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST_F(FetcherTest, CloseDelimitedBody_NeedsCloseNotify) {
  ServerScript script = status("200 OK");
  script.add_content_length = false;
  script.body = kPolicy;
  EXPECT_EQ(fetch(serve(script).port()).detail, FetchDetail::ok);
  script.close_notify = false;  // a cut TLS stream could be an attacker shortening the policy
  EXPECT_EQ(fetch(serve(script).port()).detail, FetchDetail::truncated);
}

TEST_F(FetcherTest, OversizedHeader_IsAProtocolError) {
  const FetchResult r =
      fetch(serve(status("200 OK", "X-Padding: " + std::string(10000, 'p') + "\r\n")).port());
  EXPECT_EQ(r.detail, FetchDetail::http_protocol) << r.message;
}

TEST_F(FetcherTest, TricklingServer_EndsAtTheDeadline) {
  ServerScript script = status("200 OK");
  script.body = std::string(100, 'a');
  script.chunk = 1;
  script.pause = 1s;
  const auto start = Clock::now();
  const FetchResult r = fetch(serve(script).port(), 2s);
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.detail, FetchDetail::timeout) << r.message;
  EXPECT_GE(elapsed, 1900ms);
  EXPECT_LT(elapsed, 2s + 3s);
}

TEST_F(FetcherTest, SilentServer_EndsAtTheDeadlineDuringTheHandshake) {
  boost::asio::ip::tcp::acceptor silent(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
  boost::asio::ip::tcp::socket held(io_);
  silent.async_accept(held, [](boost::system::error_code) {});
  const auto start = Clock::now();
  const FetchResult r = fetch(silent.local_endpoint().port(), 1s);
  EXPECT_EQ(r.detail, FetchDetail::timeout) << r.message;
  EXPECT_LT(Clock::now() - start, 1s + 3s);
}

TEST_F(FetcherTest, NothingListening_IsAConnectError) {
  const FetchResult r = fetch(unused_port(io_));
  EXPECT_EQ(r.detail, FetchDetail::connect) << r.message;
  EXPECT_EQ(to_result_type(r.detail), ResultType::sts_policy_fetch_error);
}

TEST_F(FetcherTest, PolicyHostWithoutAddress_IsHostNotFound) {
  const FetchResult r = fetch(443, 5s, std::nullopt, "unknown.example");
  EXPECT_EQ(r.detail, FetchDetail::host_not_found) << r.message;
  EXPECT_EQ(resolver_.asked.back(), "ADDR mta-sts.unknown.example");
}

TEST_F(FetcherTest, HangingDnsLookup_EndsAtTheFetchDeadline) {
  resolver_.hang = true;
  const auto start = Clock::now();
  const FetchResult r = fetch(443, 1s);
  EXPECT_EQ(r.detail, FetchDetail::timeout) << r.message;
  EXPECT_LT(Clock::now() - start, 1s + 3s);
}

}  // namespace
}  // namespace mtasts::net::testing
