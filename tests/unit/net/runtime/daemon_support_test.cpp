// The daemon's small helpers: structured log lines, the metrics endpoint's address and HTTP
// answers.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "http_test_client.hpp"
#include "mtasts/net/http/metrics_server.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {
namespace {

TEST(LogTest, Fields_AreKeyValuePairsAndUnsafeValuesAreQuoted) {
  EXPECT_EQ(Logger::format_fields(LogLevel::info, "fetch",
                                  {{"domain", "example.com"}, {"ttl", 300}, {"empty", ""}}),
            "level=info event=fetch domain=example.com ttl=300 empty=\"\"");
  EXPECT_EQ(Logger::format_fields(LogLevel::warn, "x",
                                  {{"msg", "a \"b\" c=d\\e"}, {"bin", "new\nline\xff"}}),
            "level=warn event=x msg=\"a \\\"b\\\" c=d\\\\e\" bin=new?line?");
}

TEST(LogTest, Levels_ParseThePeersNames) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("INFO"), LogLevel::info);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("fatal"), LogLevel::error);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
  Logger log(LogLevel::warn);
  EXPECT_FALSE(log.enabled(LogLevel::info));
  EXPECT_TRUE(log.enabled(LogLevel::error));
}

TEST(MetricsEndpointTest, HostPortForms) {
  auto v4 = parse_metrics_endpoint("127.0.0.1:9100");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9100);
  auto v6 = parse_metrics_endpoint("[::1]:9100");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  auto any = parse_metrics_endpoint("*:9100");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
  for (const char* bad :
       {"127.0.0.1", ":9100", "host:0", "host:", "host:99999", "::1:80", "[::1]", "h:9x"}) {
    EXPECT_FALSE(parse_metrics_endpoint(bad)) << bad;
  }
}

HttpRequest request_for(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

TEST(MetricsResponseTest, MetricsPathServesTheBody) {
  const auto body = [] { return std::string("m 1\n"); };
  for (const char* target : {"/metrics", "/", "/metrics?x=1"}) {
    const HttpResponse ok = metrics_response(request_for("GET", target), body);
    EXPECT_EQ(ok.status, 200U) << target;
    EXPECT_EQ(ok.body, "m 1\n") << target;
    ASSERT_EQ(ok.headers.size(), 1U);
    EXPECT_EQ(ok.headers[0].second, "text/plain; version=0.0.4; charset=utf-8");
  }
  EXPECT_EQ(metrics_response(request_for("HEAD", "/metrics"), body).status, 200U);
  EXPECT_EQ(metrics_response(request_for("GET", "/other"), body).status, 404U);
  EXPECT_EQ(metrics_response(request_for("POST", "/metrics"), body).status, 405U);
}

// The page as a scraper sees it, through the HTTP server on its own thread.
TEST(MetricsResponseTest, Server_AnswersScrapesAndRefusesGarbage) {
  boost::asio::io_context io;
  Logger log(LogLevel::error);
  MetricsServer server(
      io.get_executor(), [] { return std::string("m 1\n"); }, log);
  const auto port = server.listen(MetricsEndpoint{"127.0.0.1", 0});
  ASSERT_TRUE(port) << port.error().message;
  server.start();
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });

  testing::TestConnection scrape(*port);
  ASSERT_TRUE(scrape.send(testing::http_get("/metrics", "127.0.0.1")));
  const auto got = scrape.read_response();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200U);
  EXPECT_EQ(got->body, "m 1\n");
  EXPECT_EQ(got->headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  ASSERT_TRUE(scrape.send(testing::http_get("/metrics", "127.0.0.1", "HEAD")));
  const auto head = scrape.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers.at("content-length"), "4");
  EXPECT_TRUE(head->body.empty());

  testing::TestConnection garbage(*port);
  ASSERT_TRUE(garbage.send("garbage\r\n\r\n"));
  const auto refused = garbage.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400U);

  boost::asio::post(io, [&server] { server.stop(); });
  EXPECT_TRUE(scrape.wait_closed());  // stop() closes the kept-alive connection
  guard.reset();
  loop.join();
}

}  // namespace
}  // namespace mtasts::net
