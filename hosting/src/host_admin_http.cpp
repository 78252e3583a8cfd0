#include "mtasts/hosting/host_admin_http.hpp"

#include <algorithm>

#include "mtasts/core/base/percent_decode.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/core/hosting/admin_request.hpp"
#include "mtasts/hosting/host_json.hpp"

namespace mtasts::hosting {
namespace {

constexpr std::string_view kDomainsPrefix = "/v1/domains/";

std::map<std::string, std::string, std::less<>> parse_query(std::string_view query) {
  std::map<std::string, std::string, std::less<>> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    auto key = core::percent_decode(pair.substr(0, eq));
    auto value = core::percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (key && value && !key->empty()) {
      out.emplace(std::move(*key), std::move(*value));
    }
  }
  return out;
}

}  // namespace

AdminTarget parse_admin_target(std::string_view target) {
  AdminTarget out;
  const std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) {
    out.query = parse_query(target.substr(question + 1));
  }
  if (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path == "/") {
    out.route = AdminRoute::root;
  } else if (path == "/console") {
    out.route = AdminRoute::console;
  } else if (path.starts_with("/console/")) {
    // Only plain names reach the embedded files: no "..", no empty segment.
    const std::string_view file = path.substr(std::string_view("/console/").size());
    if (file.find("..") == std::string_view::npos && file.find("//") == std::string_view::npos) {
      out.route = AdminRoute::console;
      out.id = std::string(file);
    }
  } else if (path == "/v1/session") {
    out.route = AdminRoute::session;
  } else if (path == "/v1/domains") {
    out.route = AdminRoute::domains;
  } else if (path == "/v1/audit") {
    out.route = AdminRoute::audit;
  } else if (path == "/v1/status") {
    out.route = AdminRoute::status;
  } else if (path == "/v1/instances") {
    out.route = AdminRoute::instances;
  } else if (path == "/v1/reports") {
    out.route = AdminRoute::reports;
  } else if (path == "/v1/reports/apart") {
    out.route = AdminRoute::reports_apart;
  } else if (path.starts_with("/v1/reports/")) {
    const std::string_view id = path.substr(std::string_view("/v1/reports/").size());
    if (!id.empty() && id.find('/') == std::string_view::npos) {
      out.route = AdminRoute::report;
      out.id = std::string(id);
    }
  } else if (path.starts_with(kDomainsPrefix)) {
    std::string_view rest = path.substr(kDomainsPrefix.size());
    AdminRoute route = AdminRoute::domain;
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
      if (rest.substr(slash) == "/monitor") {
        route = AdminRoute::domain_monitor;
      } else if (rest.substr(slash) == "/reports") {
        route = AdminRoute::domain_reports;
      } else {
        return out;
      }
      rest = rest.substr(0, slash);
    }
    auto domain = core::percent_decode(rest);
    if (!domain || domain->empty()) {
      return out;
    }
    out.route = route;
    out.domain = std::move(*domain);
  }
  return out;
}

std::optional<std::string> bearer_token(const net::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (!core::iequals(name, "authorization")) {
      continue;
    }
    std::string_view text = value;
    const std::size_t space = text.find(' ');
    if (space == std::string_view::npos || !core::iequals(text.substr(0, space), "bearer")) {
      return std::nullopt;
    }
    text.remove_prefix(space + 1);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
      text.remove_suffix(1);
    }
    if (text.empty()) {
      return std::nullopt;
    }
    return std::string(text);
  }
  return std::nullopt;
}

std::optional<std::string> header_value(const net::HttpRequest& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (core::iequals(field, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> request_cookie(const net::HttpRequest& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (!core::iequals(field, "cookie")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return std::nullopt;
}

bool same_origin(const net::HttpRequest& request) {
  const std::optional<std::string> origin = header_value(request, "origin");
  if (!origin) {
    return true;
  }
  std::string_view text = *origin;
  const std::size_t scheme = text.find("://");
  if (scheme == std::string_view::npos) {
    return false;
  }
  text.remove_prefix(scheme + 3);
  // The host part: up to the port (an IPv6 literal keeps its brackets).
  const std::size_t colon = text.starts_with('[') ? text.find("]:") : text.rfind(':');
  if (colon != std::string_view::npos) {
    text = text.substr(0, text.starts_with('[') ? colon + 1 : colon);
  }
  return !request.host.empty() && core::iequals(text, request.host);
}

net::HttpResponse json_response(unsigned status, const nlohmann::json& body) {
  net::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = json_text(body) + "\n";
  return response;
}

net::HttpResponse error_response(unsigned status, std::string field, std::string message) {
  net::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body =
      core::request_error_json(core::RequestError{std::move(field), std::move(message)}) + "\n";
  if (status == 401) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mtasts-host\"");
  }
  return response;
}

}  // namespace mtasts::hosting
