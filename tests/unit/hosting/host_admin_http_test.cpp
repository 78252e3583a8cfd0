#include "mtasts/hosting/host_admin_http.hpp"

#include <gtest/gtest.h>

#include "host/host_output.hpp"

namespace mtasts::app {
namespace {

TEST(AdminHttp, Targets_Route) {
  EXPECT_EQ(parse_admin_target("/v1/domains").route, AdminRoute::domains);
  EXPECT_EQ(parse_admin_target("/v1/domains/").route, AdminRoute::domains);
  const AdminTarget one = parse_admin_target("/v1/domains/example.com");
  EXPECT_EQ(one.route, AdminRoute::domain);
  EXPECT_EQ(one.domain, "example.com");
  const AdminTarget monitor = parse_admin_target("/v1/domains/b%C3%BCcher.example/monitor");
  EXPECT_EQ(monitor.route, AdminRoute::domain_monitor);
  EXPECT_EQ(monitor.domain,
            "b\xc3\xbc"
            "cher.example");
  const AdminTarget audit = parse_admin_target("/v1/audit?domain=example.com&limit=5");
  EXPECT_EQ(audit.route, AdminRoute::audit);
  EXPECT_EQ(audit.query.at("domain"), "example.com");
  EXPECT_EQ(audit.query.at("limit"), "5");
  EXPECT_EQ(parse_admin_target("/v1/status").route, AdminRoute::status);
  for (const char* unknown : {"/", "/v1", "/v2/domains", "/v1/domains/a/b", "/v1/domains/%zz",
                              "/v1/domains/a%00b", "/v1/domains//monitor"}) {
    EXPECT_EQ(parse_admin_target(unknown).route, AdminRoute::unknown) << unknown;
  }
}

TEST(AdminHttp, BearerToken) {
  net::HttpRequest request;
  EXPECT_EQ(bearer_token(request), std::nullopt);
  request.headers = {{"Authorization", "Bearer abc123"}};
  EXPECT_EQ(bearer_token(request), "abc123");
  request.headers = {{"authorization", "bearer   abc123  "}};
  EXPECT_EQ(bearer_token(request), "abc123");
  request.headers = {{"Authorization", "Basic YTpi"}};
  EXPECT_EQ(bearer_token(request), std::nullopt);
  request.headers = {{"Authorization", "Bearer "}};
  EXPECT_EQ(bearer_token(request), std::nullopt);
}

TEST(AdminHttp, ErrorResponse_HasTheDocumentedShape) {
  const net::HttpResponse response = error_response(400, "mx[1]", "not a pattern");
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(nlohmann::json::parse(response.body),
            nlohmann::json({{"error", {{"field", "mx[1]"}, {"message", "not a pattern"}}}}));
  const net::HttpResponse unauthorized = error_response(401, "", "a bearer token is required");
  bool challenge = false;
  for (const auto& [name, value] : unauthorized.headers) {
    challenge = challenge || (name == "WWW-Authenticate" && value.starts_with("Bearer"));
  }
  EXPECT_TRUE(challenge);
  EXPECT_EQ(api_error_text(400, response.body), "HTTP 400: mx[1]: not a pattern");
  EXPECT_EQ(api_error_text(502, "<html>"), "HTTP 502");
}

TEST(HostOutput, ZoneLines) {
  EXPECT_EQ(zone_line({{"owner", "mta-sts.example.com"},
                       {"type", "CNAME"},
                       {"value", "mta-sts.provider.example"},
                       {"ttl", 300}}),
            "mta-sts.example.com. 300 IN CNAME mta-sts.provider.example.");
  EXPECT_EQ(zone_line({{"owner", "_mta-sts.example.com"},
                       {"type", "TXT"},
                       {"value", "v=STSv1; id=20250101000000"},
                       {"ttl", 300}}),
            "_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=20250101000000\"");
  EXPECT_EQ(zone_line({{"owner", "mta-sts.example.com"},
                       {"type", "AAAA"},
                       {"value", "2001:db8::1"},
                       {"ttl", 60}}),
            "mta-sts.example.com. 60 IN AAAA 2001:db8::1");
}

TEST(HostOutput, DomainText_ListsTheRecordsToPublish) {
  const nlohmann::json domain = {{"domain", "example.com"},
                                 {"state", "active"},
                                 {"id", "1"},
                                 {"mode", "testing"},
                                 {"max_age", 604800},
                                 {"mx", {"mx1.example.com"}},
                                 {"records_mode", "delegated"},
                                 {"records",
                                  {{{"owner", "mta-sts.example.com"},
                                    {"type", "CNAME"},
                                    {"value", "h.example"},
                                    {"ttl", 300},
                                    {"managed_by_service", false}},
                                   {{"owner", "example.com.sts.example"},
                                    {"type", "TXT"},
                                    {"value", "v=STSv1; id=1"},
                                    {"ttl", 300},
                                    {"managed_by_service", true}}}}};
  const std::string text = domain_text(domain, "added");
  EXPECT_NE(text.find("example.com: added"), std::string::npos) << text;
  EXPECT_NE(text.find("Publish these DNS records (zone file lines):\n  mta-sts.example.com. 300 "
                      "IN CNAME h.example.\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Kept current by the service (dynamic update of its zone):\n  "
                      "example.com.sts.example. 300 IN TXT \"v=STSv1; id=1\"\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mtasts::app
