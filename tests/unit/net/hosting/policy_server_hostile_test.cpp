// The policy server against hostile clients: huge heads, slowloris, junk floods, too many
// connections; and pipelining. Deadlines are asserted with seconds of slack, never speed.

#include <gtest/gtest.h>

#include <random>

#include "policy_server_fixture.hpp"

namespace mtasts::net::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST_F(PolicyServerTest, HugeHead_Gets431AndTheConnectionCloses) {
  start();
  for (const std::size_t size : {std::size_t{9000}, std::size_t{200000}}) {
    auto conn = tls("mta-sts.a.test");
    const std::string request =
        http_get(kPolicyPath, "mta-sts.a.test", "GET", {"X-Filler: " + std::string(size, 'x')});
    conn->send(request);  // may fail part-way once the server has answered and closed
    auto reply = conn->read_response();
    ASSERT_TRUE(reply) << size;
    EXPECT_EQ(reply->status, 431U) << size;
    EXPECT_EQ(reply->headers["connection"], "close");
    EXPECT_TRUE(conn->wait_closed()) << size;
  }
  auto plain = std::make_unique<TestConnection>(http_port_);
  plain->send("GET /x HTTP/1.1\r\nHost: a\r\nX: " + std::string(10000, 'y') + "\r\n\r\n");
  auto reply = plain->read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431U);
}

TEST_F(PolicyServerTest, Garbage_Gets400AndTheConnectionCloses) {
  start();
  auto conn = tls("mta-sts.a.test");
  ASSERT_TRUE(conn->send("GARBAGE\x01\x02 /\r\n\r\n"));
  auto reply = conn->read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400U);
  EXPECT_TRUE(conn->wait_closed());
}

// Sends `request` one byte per second (the receive timeout is the pause) until the server
// closes; returns how long that took, or nullopt if the whole request went out first.
std::optional<Clock::duration> trickle(TestConnection& conn, const std::string& request) {
  const auto begin = Clock::now();
  for (const char c : request) {
    if (!conn.send(std::string_view(&c, 1))) {
      return Clock::now() - begin;
    }
    auto got = conn.receive();
    if (got && got->empty()) {
      return Clock::now() - begin;
    }
  }
  return std::nullopt;
}

TEST_F(PolicyServerTest, Slowloris_IsCutAtTheHeaderTimeoutWhileOthersAreServed) {
  HttpServerLimits limits;
  limits.header_timeout = std::chrono::seconds(2);
  limits.idle_timeout = std::chrono::seconds(20);
  start(limits);
  std::optional<Clock::duration> first_cut;
  std::optional<Clock::duration> second_cut;
  std::thread slow([&] {
    // The first request of a connection: from the accept.
    TestConnection conn(https_port_, std::chrono::seconds(1));
    if (!conn.start_tls({"mta-sts.a.test", {}, "", 0})) {
      return;
    }
    first_cut = trickle(conn, http_get(kPolicyPath, "mta-sts.a.test"));
  });
  std::thread slow_again([&] {
    // A later request of a keep-alive connection: from its first byte, though the idle timeout
    // is ten times longer.
    TestConnection conn(https_port_, std::chrono::seconds(1));
    if (!conn.start_tls({"mta-sts.a.test", {}, "", 0}) ||
        !conn.send(http_get(kPolicyPath, "mta-sts.a.test")) || !conn.read_response()) {
      return;
    }
    second_cut = trickle(conn, http_get(kPolicyPath, "mta-sts.a.test"));
  });
  // Meanwhile ordinary clients are served.
  for (int i = 0; i < 5; ++i) {
    auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.a.test"));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200U);
  }
  slow.join();
  slow_again.join();
  ASSERT_TRUE(first_cut) << "the slow request was completed: never cut";
  ASSERT_TRUE(second_cut) << "the slow request was completed: never cut";
  EXPECT_LT(*first_cut, limits.header_timeout + std::chrono::seconds(2));
  EXPECT_LT(*second_cut, limits.header_timeout + std::chrono::seconds(2));
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.timeouts >= 2; }));
}

TEST_F(PolicyServerTest, SilentTlsClient_IsCutAtTheHeaderTimeoutDuringTheHandshake) {
  HttpServerLimits limits;
  limits.header_timeout = std::chrono::seconds(1);
  start(limits);
  TestConnection silent(https_port_);
  const auto begin = Clock::now();
  EXPECT_TRUE(silent.wait_closed());
  EXPECT_LT(Clock::now() - begin, limits.header_timeout + std::chrono::seconds(2));
  EXPECT_TRUE(eventually(
      [](const PolicyServerStats& s) { return failures(s, HandshakeFailure::timeout) == 1; }));
}

TEST_F(PolicyServerTest, JunkFlood_DoesNotStopValidClients) {
  HttpServerLimits limits;
  limits.header_timeout = std::chrono::seconds(3);
  start(limits);
  std::mt19937 random(8461);
  std::vector<std::unique_ptr<TestConnection>> junk;
  const auto garbage = [&] {
    std::string bytes(300, '\0');
    for (char& c : bytes) {
      c = static_cast<char>(random() & 0xff);
    }
    return bytes;
  };
  for (int i = 0; i < 100; ++i) {
    junk.push_back(std::make_unique<TestConnection>(https_port_));
    junk.back()->send(garbage());
    junk.push_back(std::make_unique<TestConnection>(http_port_));
    junk.back()->send(garbage());
    junk.push_back(std::make_unique<TestConnection>(https_port_));  // half-open: says nothing
    junk.push_back(std::make_unique<TestConnection>(https_port_));
    junk.back()->send(std::string("\x16\x03\x01\x00\x05\x01\x00\x00", 8));  // truncated hello
  }
  for (int i = 0; i < 5; ++i) {
    auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.a.test"));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200U);
  }
  source_.set_token("t0k", "t0k.x");
  TestConnection plain(http_port_);
  ASSERT_TRUE(plain.send(http_get("/.well-known/acme-challenge/t0k", "x")));
  auto reply = plain.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) {
    return failures(s, HandshakeFailure::protocol) >= 100 && s.http.responses.count(400) == 1 &&
           s.http.responses.at(400) >= 100;
  }));
}

TEST_F(PolicyServerTest, MaxConnections_SilentConnectionsMakeRoomForANewClient) {
  HttpServerLimits limits;
  limits.max_connections = 4;
  start(limits);
  std::vector<std::unique_ptr<TestConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<TestConnection>(https_port_));
  }
  ASSERT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.active == 4; }));
  auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.a.test"));
  ASSERT_TRUE(reply) << "a client at the limit was refused";
  EXPECT_EQ(reply->status, 200U);
  EXPECT_TRUE(held.front()->wait_closed()) << "the least recently active one made room";
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.evicted == 1; }));
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.rejected == 0; }));
}

TEST_F(PolicyServerTest, PipelinedRequests_AreAnsweredInOrder) {
  start();
  auto conn = tls("mta-sts.a.test");
  ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test") +
                         http_get("/nope", "mta-sts.a.test") +
                         http_get(kPolicyPath, "mta-sts.a.test", "HEAD") +
                         http_get(kPolicyPath, "mta-sts.a.test", "POST") +
                         http_get(kPolicyPath, "mta-sts.a.test", "GET", {"Connection: close"})));
  auto first = conn->read_response();
  auto second = conn->read_response();
  auto third = conn->read_response(/*head=*/true);
  auto fourth = conn->read_response();
  auto fifth = conn->read_response();
  ASSERT_TRUE(first && second && third && fourth && fifth);
  EXPECT_EQ(first->status, 200U);
  EXPECT_EQ(first->body, kPolicyBody);
  EXPECT_EQ(second->status, 404U);
  EXPECT_EQ(third->status, 200U);
  EXPECT_EQ(fourth->status, 405U);
  EXPECT_EQ(fifth->status, 200U);
  EXPECT_EQ(fifth->body, kPolicyBody);
  EXPECT_EQ(fifth->headers["connection"], "close");
  EXPECT_TRUE(conn->wait_closed());
}

TEST_F(PolicyServerTest, MaxRequestsPerConnection_ClosesAfterTheLast) {
  HttpServerLimits limits;
  limits.max_requests_per_connection = 3;
  start(limits);
  auto conn = tls("mta-sts.a.test");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
    auto reply = conn->read_response();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->headers.count("connection"), i == 2 ? 1U : 0U) << i;
  }
  EXPECT_TRUE(conn->wait_closed());
}

TEST_F(PolicyServerTest, IdleKeepAlive_IsClosedAfterTheIdleTimeout) {
  HttpServerLimits limits;
  limits.idle_timeout = std::chrono::seconds(1);
  start(limits);
  auto conn = tls("mta-sts.a.test");
  ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
  ASSERT_TRUE(conn->read_response());
  const auto begin = Clock::now();
  EXPECT_TRUE(conn->wait_closed());
  EXPECT_LT(Clock::now() - begin, limits.idle_timeout + std::chrono::seconds(2));
}

}  // namespace
}  // namespace mtasts::net::testing
