#include <cstdlib>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/host_port.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"

namespace mtasts::net {
namespace {

constexpr std::uint16_t kDefaultProxyPort = 3128;

const char* first_env(const char* lower, const char* upper) {
  const char* value = std::getenv(lower);
  if (value == nullptr || *value == '\0') {
    value = std::getenv(upper);
  }
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string_view::npos) {
      items.push_back(core::ascii_lower(item.substr(first, last - first + 1)));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace

core::Result<ProxyConfig> parse_proxy_url(std::string_view url) {
  auto invalid = [&](const std::string& why) {
    return core::fail(core::Errc::invalid_value,
                      "invalid proxy '" + std::string(url) + "': " + why);
  };
  std::string_view rest = url;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    if (core::ascii_lower(rest.substr(0, scheme_end)) != "http") {
      return invalid("only http:// proxies (CONNECT tunnels) are supported");
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") {
      return invalid("a proxy URL has no path");
    }
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos) {
    return invalid("proxy credentials are not supported");
  }
  auto parsed = core::parse_host_port(rest, core::url_authority(kDefaultProxyPort));
  if (!parsed) {
    return invalid(parsed.error().message);
  }
  return ProxyConfig{std::move(parsed->host), parsed->port, {}};
}

core::Result<std::optional<ProxyConfig>> proxy_from_environment() {
  const char* url = first_env("https_proxy", "HTTPS_PROXY");
  if (url == nullptr) {
    return std::optional<ProxyConfig>();
  }
  auto proxy = parse_proxy_url(url);
  if (!proxy) {
    return tl::unexpected(proxy.error());
  }
  if (const char* no_proxy = first_env("no_proxy", "NO_PROXY")) {
    proxy->no_proxy = split_list(no_proxy);
  }
  return std::optional<ProxyConfig>(std::move(*proxy));
}

bool use_proxy_for(const ProxyConfig& proxy, std::string_view host) {
  const std::string name = core::ascii_lower(host);
  for (std::string_view entry : proxy.no_proxy) {
    if (entry == "*") {
      return false;
    }
    if (!entry.empty() && entry.front() == '.') {
      entry.remove_prefix(1);  // ".example.com" and "example.com" both cover subdomains
    }
    if (name == entry || (name.size() > entry.size() && name.ends_with(entry) &&
                          name[name.size() - entry.size() - 1] == '.')) {
      return false;
    }
  }
  return true;
}

std::string_view user_agent() {
  return "mtasts/" MTASTS_VERSION " (+MTA-STS policy fetcher)";
}

}  // namespace mtasts::net
