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
  EXPECT_EQ(parse_admin_target("/v1/instances").route, AdminRoute::instances);
  EXPECT_EQ(parse_admin_target("/v1/instances/x").route, AdminRoute::unknown);
  EXPECT_EQ(parse_admin_target("/").route, AdminRoute::root);
  EXPECT_EQ(parse_admin_target("/v1/session").route, AdminRoute::session);
  const AdminTarget file = parse_admin_target("/console/js/app.js?x=1");
  EXPECT_EQ(file.route, AdminRoute::console);
  EXPECT_EQ(file.id, "js/app.js");
  EXPECT_EQ(parse_admin_target("/console/").id, "");
  for (const char* unknown :
       {"/v1", "/v2/domains", "/console/../v1", "/console/a//b", "/v1/domains/a/b",
        "/v1/domains/%zz", "/v1/domains/a%00b", "/v1/domains//monitor"}) {
    EXPECT_EQ(parse_admin_target(unknown).route, AdminRoute::unknown) << unknown;
  }
}

TEST(AdminHttp, CookieAndOrigin) {
  net::HttpRequest request;
  request.host = "console.example";
  EXPECT_EQ(request_cookie(request, kSessionCookie), std::nullopt);
  EXPECT_TRUE(same_origin(request));  // no Origin: not a cross-site browser request
  request.headers = {{"Cookie", "a=1; mtasts_session=abc;b=2"},
                     {"Origin", "https://Console.Example:8462"}};
  EXPECT_EQ(request_cookie(request, kSessionCookie), "abc");
  EXPECT_EQ(request_cookie(request, "b"), "2");
  EXPECT_EQ(request_cookie(request, "mtasts"), std::nullopt);
  EXPECT_TRUE(same_origin(request));
  request.headers = {{"Origin", "https://console.example.evil.test"}};
  EXPECT_FALSE(same_origin(request));
  request.headers = {{"Origin", "null"}};
  EXPECT_FALSE(same_origin(request));
  request.host = "[::1]";
  request.headers = {{"Origin", "http://[::1]:8462"}};
  EXPECT_TRUE(same_origin(request));
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
