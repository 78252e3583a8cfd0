// The daemon's small helpers: structured log lines, the metrics endpoint's address and HTTP
// answers.

#include <gtest/gtest.h>

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

TEST(MetricsResponseTest, MetricsPathServesTheBody) {
  const auto body = [] { return std::string("m 1\n"); };
  EXPECT_EQ(metrics_response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 4\r\nConnection: close\r\n\r\nm 1\n");
  EXPECT_EQ(metrics_response("GET /other HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(metrics_response("POST /metrics HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(metrics_response("garbage\r\n\r\n", body).rfind("HTTP/1.1 400", 0), 0u);
  const std::string head = metrics_response("HEAD /metrics HTTP/1.0\r\n\r\n", body);
  EXPECT_NE(head.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace mtasts::net
