// The web console on the admin listener (docs/console.md): its files, built into the binary,
// and the session routes that sign a browser in and out (host_admin_api.hpp).

#include <chrono>

#include "mtasts/core/base/text.hpp"
#include "mtasts/hosting/console_assets.hpp"
#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_json.hpp"

namespace mtasts::hosting {
namespace {

// The page loads only its own files and talks only to its own origin: no inline script or
// style, no frame, no other host.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

void add_security_headers(net::HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

net::HttpResponse redirect(std::string location) {
  net::HttpResponse response;
  response.status = 302;
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  add_security_headers(response);
  return response;
}

// Secure when the browser reached us over TLS: directly, or through a proxy that says so.
bool over_tls(const net::HttpRequest& request) {
  const std::optional<std::string> proto = header_value(request, "x-forwarded-proto");
  return !request.sni.empty() || (proto && core::iequals(*proto, "https"));
}

std::string session_cookie(const net::HttpRequest& request, std::string_view value,
                           std::chrono::seconds max_age) {
  std::string out =
      std::string(kSessionCookie) + "=" + std::string(value) +
      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
  if (over_tls(request)) {
    out += "; Secure";
  }
  return out;
}

nlohmann::json principal_json(const AdminPrincipal& principal) {
  nlohmann::json out = {{"name", principal.name}, {"role", admin_role_name(principal.role)}};
  if (!principal.is_operator()) {
    out["domains"] = principal.domains;
  }
  return out;
}

}  // namespace

net::HttpResponse AdminApi::console_file(const net::HttpRequest& request,
                                         std::string_view path) const {
  if (request.method != "GET" && request.method != "HEAD") {
    net::HttpResponse response = error_response(405, "", "method not allowed here");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  const std::string_view target =
      std::string_view(request.target).substr(0, std::string_view(request.target).find('?'));
  // The page's relative links need the trailing slash.
  if (path == "/" || target == "/console") {
    return redirect("/console/");
  }
  const ConsoleAsset* asset = find_console_asset(path);
  if (asset == nullptr) {
    return error_response(404, "", "no such resource: " + request.target);
  }
  net::HttpResponse response;
  response.headers.emplace_back("ETag", std::string(asset->etag));
  response.headers.emplace_back("Cache-Control", "no-cache");
  add_security_headers(response);
  const std::optional<std::string> match = header_value(request, "if-none-match");
  if (match && *match == asset->etag) {
    response.status = 304;
    return response;
  }
  response.headers.emplace_back("Content-Type", std::string(asset->content_type));
  response.body = std::string(asset->body);
  return response;
}

net::HttpResponse AdminApi::sign_in(const net::HttpRequest& request) {
  if (!same_origin(request)) {
    log_.log(net::LogLevel::warn, "console-sign-in-refused",
             {{"peer", request.peer}, {"reason", "origin"}});
    return error_response(403, "", "sign in from this service's own page");
  }
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    return error_response(400, "token", "expected {\"token\": \"...\"}");
  }
  if (auto refused = throttled(request)) {
    return std::move(*refused);
  }
  std::optional<AdminPrincipal> principal = tokens_.authenticate(body["token"].get<std::string>());
  if (!principal) {
    log_.log(net::LogLevel::warn, "console-sign-in-refused",
             {{"peer", request.peer}, {"reason", "token"}});
    wrong_token(request);
    return error_response(401, "token", "the token is not valid");
  }
  const core::HostTime now = clock_.now();
  auto session = sessions_.open(*principal, now);
  if (!session) {
    return error_response(503, "", session.error().message);
  }
  log_.log(net::LogLevel::info, "console-sign-in",
           {{"actor", "api:" + principal->name}, {"peer", request.peer}});
  nlohmann::json out = principal_json(session->session.principal);
  out["csrf"] = session->session.csrf;
  out["expires"] = core::format_utc(session->session.expires);
  net::HttpResponse response = json_response(201, out);
  response.headers.emplace_back(
      "Set-Cookie", session_cookie(request, session->id, sessions_.limits().absolute_lifetime));
  return response;
}

net::HttpResponse AdminApi::session_info(const AdminCaller& caller) const {
  nlohmann::json out = principal_json(caller.principal);
  out["via"] = caller.session_id.empty() ? "token" : "session";
  if (!caller.session_id.empty()) {
    out["csrf"] = caller.csrf;
  }
  return json_response(200, out);
}

net::HttpResponse AdminApi::sign_out(const net::HttpRequest& request, const AdminCaller& caller) {
  const bool closed = !caller.session_id.empty() && sessions_.close(caller.session_id);
  net::HttpResponse response = json_response(200, {{"signed_out", closed}});
  response.headers.emplace_back("Set-Cookie", session_cookie(request, "", std::chrono::seconds(0)));
  return response;
}

}  // namespace mtasts::hosting
