#include "mtasts/hosting/host_admin_http.hpp"

#include <gtest/gtest.h>

namespace mtasts::hosting {
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
}

}  // namespace
}  // namespace mtasts::hosting
