// The console on the admin listener: its files, sign-in with a token, the session cookie and
// the CSRF token every cookie-borne change needs.

#include "host_test_support.hpp"
#include "mtasts/hosting/console_assets.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::minutes;

std::string header(const net::HttpResponse& response, std::string_view name) {
  for (const auto& [field, value] : response.headers) {
    if (field == name) {
      return value;
    }
  }
  return "";
}

class ConsoleTest : public HostFixture {
 protected:
  net::HttpResponse raw(const std::string& method, const std::string& target,
                        std::vector<std::pair<std::string, std::string>> headers,
                        const std::string& body = "") {
    net::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.peer = "127.0.0.1";
    req.host = "127.0.0.1";
    req.headers = std::move(headers);
    return run(io_, api_->handle(std::move(req)));
  }
  struct Session {
    std::string cookie;  // "mtasts_session=..."
    std::string csrf;
  };
  Session sign_in(const std::string& token) {
    const net::HttpResponse response =
        raw("POST", "/v1/session", {{"Origin", "http://127.0.0.1:8462"}},
            nlohmann::json({{"token", token}}).dump());
    EXPECT_EQ(response.status, 201u) << response.body;
    const std::string set = header(response, "Set-Cookie");
    return Session{set.substr(0, set.find(';')), json(response).value("csrf", "")};
  }
};

TEST_F(ConsoleTest, Files_AreServedWithTheirTypeEtagAndPolicy) {
  const net::HttpResponse index = raw("GET", "/console/", {});
  ASSERT_EQ(index.status, 200u);
  EXPECT_EQ(header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<script type=\"module\" src=\"js/app.js\">"), std::string::npos);
  const std::string csp = header(index, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(header(index, "X-Frame-Options"), "DENY");
  const std::string etag = header(index, "ETag");
  ASSERT_EQ(etag.size(), 66u);
  EXPECT_EQ(raw("GET", "/console/", {{"If-None-Match", etag}}).status, 304u);
  const net::HttpResponse script = raw("GET", "/console/js/app.js", {});
  EXPECT_EQ(script.status, 200u);
  EXPECT_EQ(header(script, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(raw("GET", "/console", {}).status, 302u);
  EXPECT_EQ(header(raw("GET", "/", {}), "Location"), "/console/");
  // Not a file: answered as an API request, which needs credentials.
  EXPECT_EQ(raw("GET", "/console/../v1/status", {}).status, 401u);
  EXPECT_EQ(raw("GET", "/console/nothing.js", {}).status, 404u);
  EXPECT_EQ(raw("POST", "/console/", {}).status, 405u);
  for (const ConsoleAsset& asset : console_assets()) {
    EXPECT_EQ(find_console_asset(asset.path), &asset);
  }
}

TEST_F(ConsoleTest, SignIn_MakesAnHttpOnlyStrictCookie_WrongTokenRefused) {
  const net::HttpResponse wrong =
      raw("POST", "/v1/session", {}, R"({"token":"0123456789abcdef0123456789abcdeX"})");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(header(wrong, "Set-Cookie"), "");
  EXPECT_EQ(raw("POST", "/v1/session", {}, "token=x").status, 400u);
  EXPECT_EQ(raw("POST", "/v1/session", {{"Origin", "https://evil.example"}},
                nlohmann::json({{"token", kToken}}).dump())
                .status,
            403u);
  const net::HttpResponse ok =
      raw("POST", "/v1/session", {}, nlohmann::json({{"token", kToken}}).dump());
  ASSERT_EQ(ok.status, 201u);
  const std::string cookie = header(ok, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("mtasts_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP
  EXPECT_EQ(json(ok)["role"], "operator");
  EXPECT_EQ(json(ok)["csrf"].get<std::string>().size(), 64u);
  // Behind a TLS proxy the cookie is Secure.
  const net::HttpResponse proxied = raw("POST", "/v1/session", {{"X-Forwarded-Proto", "https"}},
                                        nlohmann::json({{"token", kToken}}).dump());
  EXPECT_NE(header(proxied, "Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(ConsoleTest, WrongTokens_TenFromOneAddress_RefuseItForTheRestOfFiveMinutes) {
  const std::string wrong = R"({"token":"0123456789abcdef0123456789abcdeX"})";
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(raw("POST", "/v1/session", {}, wrong).status, 401u) << i;
  }
  clock_.advance(minutes(2));
  // The tenth wrong token, a bearer token this time: both count.
  EXPECT_EQ(raw("GET", "/v1/status", {{"Authorization", "Bearer wrong-token-value"}}).status, 401u);
  // Now even the right token is not looked at, by either door, until the window has passed.
  const net::HttpResponse refused =
      raw("POST", "/v1/session", {}, nlohmann::json({{"token", kToken}}).dump());
  EXPECT_EQ(refused.status, 429u) << refused.body;
  EXPECT_EQ(header(refused, "Retry-After"), "180");
  EXPECT_EQ(header(refused, "Set-Cookie"), "");
  EXPECT_EQ(raw("GET", "/v1/status", {{"Authorization", std::string("Bearer ") + kToken}}).status,
            429u);
  // Another address is not affected.
  net::HttpRequest other;
  other.method = "GET";
  other.target = "/v1/status";
  other.peer = "192.0.2.7";
  other.host = "127.0.0.1";
  other.headers = {{"Authorization", std::string("Bearer ") + kToken}};
  EXPECT_EQ(run(io_, api_->handle(std::move(other))).status, 200u);
  clock_.advance(minutes(3));
  sign_in(kToken);
}

TEST(SignInThrottle, FullTable_MakesRoomFromTheOldestWindow) {
  SignInThrottle throttle(SignInThrottleLimits{2, std::chrono::seconds(60), 2});
  const core::HostTime t0{std::chrono::seconds(1'750'000'000)};
  throttle.failed("a", t0);
  EXPECT_TRUE(throttle.failed("a", t0));  // the limit reached: worth a log line, once
  EXPECT_FALSE(throttle.failed("a", t0));
  throttle.failed("b", t0 + std::chrono::seconds(1));
  EXPECT_EQ(throttle.wait("a", t0 + std::chrono::seconds(59)), std::chrono::seconds(1));
  throttle.failed("c", t0 + std::chrono::seconds(2));  // "a" goes
  EXPECT_EQ(throttle.size(), 2u);
  EXPECT_EQ(throttle.wait("a", t0 + std::chrono::seconds(3)), std::chrono::seconds(0));
  EXPECT_EQ(throttle.wait("b", t0 + std::chrono::seconds(3)), std::chrono::seconds(0));
  // A window over: its count starts again.
  throttle.failed("b", t0 + std::chrono::seconds(70));
  EXPECT_EQ(throttle.wait("b", t0 + std::chrono::seconds(71)), std::chrono::seconds(0));
  throttle.failed("b", t0 + std::chrono::seconds(71));
  EXPECT_EQ(throttle.wait("b", t0 + std::chrono::seconds(71)), std::chrono::seconds(59));
}

TEST_F(ConsoleTest, Cookie_ReadsFreely_ChangesNeedTheCsrfToken) {
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 201u);
  const Session session = sign_in(kToken);
  const net::HttpResponse who = raw("GET", "/v1/session", {{"Cookie", "a=b; " + session.cookie}});
  ASSERT_EQ(who.status, 200u);
  EXPECT_EQ(json(who)["name"], "alice");
  EXPECT_EQ(json(who)["csrf"], session.csrf);
  EXPECT_EQ(raw("GET", "/v1/domains", {{"Cookie", session.cookie}}).status, 200u);
  const std::string body = R"({"mode":"enforce"})";
  EXPECT_EQ(raw("PATCH", "/v1/domains/example.com", {{"Cookie", session.cookie}}, body).status,
            403u);
  EXPECT_EQ(raw("PATCH", "/v1/domains/example.com",
                {{"Cookie", session.cookie}, {"X-CSRF-Token", std::string(64, '0')}}, body)
                .status,
            403u);
  EXPECT_EQ(raw("PATCH", "/v1/domains/example.com",
                {{"Cookie", session.cookie},
                 {"X-CSRF-Token", session.csrf},
                 {"Origin", "https://evil.example"}},
                body)
                .status,
            403u);
  EXPECT_EQ(stored("example.com")->domain.current.policy.mode, core::PolicyMode::testing);
  EXPECT_EQ(raw("PATCH", "/v1/domains/example.com",
                {{"Cookie", session.cookie},
                 {"X-CSRF-Token", session.csrf},
                 {"Origin", "http://127.0.0.1:8462"}},
                body)
                .status,
            200u);
  EXPECT_EQ(stored("example.com")->domain.current.policy.mode, core::PolicyMode::enforce);
  EXPECT_EQ(store_->direct().audit_log("example.com", 1)->front().actor, "api:alice");
}

TEST_F(ConsoleTest, SignOut_AndExpiry_EndTheSession) {
  const Session session = sign_in(kToken);
  EXPECT_EQ(raw("DELETE", "/v1/session", {{"Cookie", session.cookie}}).status, 403u);
  const net::HttpResponse out =
      raw("DELETE", "/v1/session", {{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}});
  EXPECT_EQ(out.status, 200u);
  EXPECT_NE(header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(raw("GET", "/v1/domains", {{"Cookie", session.cookie}}).status, 401u);
  const Session idle = sign_in(kToken);
  clock_.advance(minutes(29));
  EXPECT_EQ(raw("GET", "/v1/domains", {{"Cookie", idle.cookie}}).status, 200u);
  clock_.advance(minutes(29));
  EXPECT_EQ(raw("GET", "/v1/domains", {{"Cookie", idle.cookie}}).status, 200u);
  clock_.advance(minutes(31));
  EXPECT_EQ(raw("GET", "/v1/domains", {{"Cookie", idle.cookie}}).status, 401u);
}

TEST_F(ConsoleTest, CustomerSession_KeepsItsScope) {
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"example.com"})").status, 201u);
  ASSERT_EQ(request("POST", "/v1/domains", R"({"domain":"other.example"})").status, 201u);
  const Session session = sign_in(kCustomerToken);
  const net::HttpResponse who = raw("GET", "/v1/session", {{"Cookie", session.cookie}});
  EXPECT_EQ(json(who)["role"], "customer");
  EXPECT_EQ(json(who)["domains"], nlohmann::json({"example.com"}));
  EXPECT_EQ(raw("GET", "/v1/domains/other.example", {{"Cookie", session.cookie}}).status, 404u);
  EXPECT_EQ(raw("DELETE", "/v1/domains/other.example",
                {{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}})
                .status,
            404u);
  EXPECT_EQ(stored("other.example")->domain.state, core::HostedState::active);
}

TEST(ConsoleSessions, IdleAbsoluteCapAndClose) {
  ConsoleSessions sessions(
      ConsoleSessionLimits{std::chrono::seconds(60), std::chrono::seconds(150), 2});
  const core::HostTime t0 = kStart;
  auto a = sessions.open(AdminPrincipal{"a", AdminRole::service_operator, {}}, t0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->session.expires, t0 + std::chrono::seconds(60));
  EXPECT_TRUE(sessions.use(a->id, t0 + std::chrono::seconds(59)));
  EXPECT_TRUE(sessions.use(a->id, t0 + std::chrono::seconds(118)));
  const auto late = sessions.use(a->id, t0 + std::chrono::seconds(149));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->expires, t0 + std::chrono::seconds(150));
  EXPECT_FALSE(sessions.use(a->id, t0 + std::chrono::seconds(150)));
  EXPECT_FALSE(sessions.use(a->id, t0));  // forgotten
  auto b = sessions.open(AdminPrincipal{"b", AdminRole::service_operator, {}}, t0);
  auto c = sessions.open(AdminPrincipal{"c", AdminRole::service_operator, {}},
                         t0 + std::chrono::seconds(1));
  EXPECT_TRUE(sessions.use(b->id, t0 + std::chrono::seconds(2)));
  auto d = sessions.open(AdminPrincipal{"d", AdminRole::service_operator, {}},
                         t0 + std::chrono::seconds(3));
  EXPECT_EQ(sessions.size(), 2u);
  EXPECT_FALSE(sessions.use(c->id, t0 + std::chrono::seconds(4)));  // least recently used
  EXPECT_TRUE(sessions.use(b->id, t0 + std::chrono::seconds(4)));
  EXPECT_NE(b->id, d->id);
  EXPECT_NE(b->session.csrf, b->id);
  EXPECT_TRUE(sessions.close(d->id));
  EXPECT_FALSE(sessions.close(d->id));
  EXPECT_FALSE(sessions.use(d->id, t0 + std::chrono::seconds(4)));
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abc", "abd"));
  EXPECT_FALSE(same_secret("ab", "abc"));
}

}  // namespace
}  // namespace mtasts::hosting::testing
