// The generic HTTP server core over plain TCP, as the admin API will use it: bodies,
// 100-continue, HTTP/1.0, handler-requested closes, exceptions, drain.

#include "mtasts/net/http/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "http_test_client.hpp"

namespace mtasts::net::testing {
namespace {

namespace asio = boost::asio;

// Echoes the request; "/slow" tells `slow_started` (once) and waits 300 ms first; "/close"
// asks for Connection: close; "/throw" throws.
class EchoHandler final : public HttpHandler {
 public:
  std::promise<void> slow_started;

  asio::awaitable<HttpResponse> handle(HttpRequest request) override {
    if (request.target == "/throw") {
      throw std::runtime_error("handler failure");
    }
    if (request.target == "/slow") {
      slow_started.set_value();
      auto executor = co_await asio::this_coro::executor;
      asio::steady_timer timer(executor, std::chrono::milliseconds(300));
      co_await timer.async_wait(asio::use_awaitable);
    }
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain");
    if (request.target == "/close") {
      response.headers.emplace_back("Connection", "close");
    }
    response.body = request.method + " " + request.target + " " + request.host + " [" +
                    request.body + "] " + request.peer;
    co_return response;
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerLimits limits) {
    server_ = std::make_unique<HttpServer>(io_.get_executor(), handler_, limits, log_);
    auto port = server_->listen(Endpoint{"127.0.0.1", 0}, PortSharing::exclusive);
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    server_->start();
    thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(60)); });
  }
  ~HttpServerTest() override {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }
  void drain(std::chrono::milliseconds timeout) {
    asio::co_spawn(io_, server_->drain(timeout), asio::use_future).get();
  }

  asio::io_context io_{1};
  Logger log_{LogLevel::error};
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(HttpServerTest, BodyAndContinue_AreHandled) {
  HttpServerLimits limits;
  limits.max_body_bytes = 64;
  start(limits);
  TestConnection conn(port_);
  ASSERT_TRUE(
      conn.send("POST /v1/domains HTTP/1.1\r\nHost: api.local:8080\r\nContent-Length: "
                "7\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = conn.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100U);
  ASSERT_TRUE(conn.send("{\"a\":1}"));
  auto reply = conn.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_EQ(reply->body, "POST /v1/domains api.local [{\"a\":1}] 127.0.0.1");
  ASSERT_TRUE(conn.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n"));
  auto too_large = conn.read_response();
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413U);
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, Http10_KeepAliveOnlyWhenAsked) {
  start({});
  TestConnection keep(port_);
  ASSERT_TRUE(keep.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = keep.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers["connection"], "keep-alive");
  ASSERT_TRUE(keep.send("GET /b HTTP/1.0\r\n\r\n"));
  auto second = keep.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "GET /b  [] 127.0.0.1");
  EXPECT_EQ(second->headers["connection"], "close");
  EXPECT_TRUE(keep.wait_closed());
}

TEST_F(HttpServerTest, HandlerAskingClose_ClosesAfterItsResponse) {
  start({});
  TestConnection conn(port_);
  ASSERT_TRUE(conn.send(http_get("/close", "a")));
  auto reply = conn.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->headers["connection"], "close");
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, UnsupportedVersion_Gets505) {
  start({});
  TestConnection conn(port_);
  ASSERT_TRUE(conn.send("GET / HTTP/2.0\r\nHost: a\r\n\r\n"));
  auto reply = conn.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 505U);
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, HandlerException_ClosesThatConnectionOnly) {
  start({});
  TestConnection failing(port_);
  ASSERT_TRUE(failing.send(http_get("/throw", "a")));
  EXPECT_TRUE(failing.wait_closed());
  TestConnection next(port_);
  ASSERT_TRUE(next.send(http_get("/ok", "a")));
  auto reply = next.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
}

TEST_F(HttpServerTest, Drain_FinishesRequestsInProgressAndClosesIdleOnes) {
  start({});
  TestConnection idle(port_);
  ASSERT_TRUE(idle.send(http_get("/ok", "a")));
  ASSERT_TRUE(idle.read_response());
  TestConnection busy(port_);
  ASSERT_TRUE(busy.send(http_get("/slow", "a")));
  // Drain once the handler is running (bounded, so a request that never arrives fails).
  ASSERT_EQ(handler_.slow_started.get_future().wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  drain(std::chrono::seconds(5));
  auto reply = busy.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_EQ(reply->headers["connection"], "close");
  EXPECT_TRUE(busy.wait_closed());
  EXPECT_TRUE(idle.wait_closed());
  const HttpServerStats stats = server_->stats();
  EXPECT_EQ(stats.accepted, 2U);
  EXPECT_EQ(stats.active, 0U);
  EXPECT_EQ(stats.responses.at(200), 2U);
}

}  // namespace
}  // namespace mtasts::net::testing
