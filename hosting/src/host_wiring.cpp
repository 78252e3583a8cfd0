#include "mtasts/hosting/host_wiring.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mtasts/core/hosting/admin_request.hpp"
#include "mtasts/hosting/report_payload.hpp"

namespace mtasts::hosting {
namespace {

constexpr std::size_t kMaxAdminConnections = 64;

core::Result<std::string> resolve_server(const std::string& host) {
  unsigned char buffer[16];
  if (::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
      ::inet_pton(AF_INET6, host.c_str(), buffer) == 1) {
    return host;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return core::fail(core::Errc::invalid_value,
                      "dns_update.server: cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* address =
      found->ai_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  ::inet_ntop(found->ai_family, address, text, sizeof text);
  ::freeaddrinfo(found);
  return std::string(text);
}

core::Result<net::TsigKey> key_of(const TsigKeySettings& settings) {
  if (settings.secret_file.empty()) {
    auto key = net::parse_tsig_key(settings.name, settings.algorithm, settings.secret);
    if (!key) {
      return core::fail(core::Errc::invalid_value, "dns_update.key: " + key.error().message);
    }
    return key;
  }
  auto from_file = net::read_tsig_key_file(settings.secret_file);
  if (from_file) {
    if (!settings.name.empty()) {
      from_file->name = settings.name;
    }
    return from_file;
  }
  // Not a key file of a known form: a file holding the base64 secret alone.
  std::ifstream in(settings.secret_file);
  if (!in) {
    return core::fail(core::Errc::invalid_value, "dns_update.key.secret_file: cannot read " +
                                                     settings.secret_file + ": " +
                                                     std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  if (settings.name.empty() || secret.empty() ||
      secret.find_first_of(" \n:{") != std::string::npos) {
    return core::fail(core::Errc::invalid_value,
                      "dns_update.key.secret_file: " + from_file.error().message);
  }
  auto key = net::parse_tsig_key(settings.name, settings.algorithm, secret);
  if (!key) {
    return core::fail(core::Errc::invalid_value,
                      "dns_update.key.secret_file: " + key.error().message);
  }
  return key;
}

}  // namespace

net::Endpoint to_net_endpoint(const HostEndpoint& endpoint) {
  return net::Endpoint{endpoint.host, endpoint.port};
}

net::PolicyServerOptions policy_server_options(const HostConfig& config,
                                               net::ReportReceiver* reports) {
  net::PolicyServerOptions options;
  // TLS-RPT reports POSTed to https://mta-sts.<d>/tlsrpt: a gzip report of a large sender
  // stays well under this; the decompressed text has its own limit (report_intake.hpp).
  options.reports = reports;
  options.limits.max_body_bytes = reports != nullptr ? PayloadLimits{}.max_input : 0;
  for (const HostEndpoint& endpoint : config.https) {
    options.https.push_back(to_net_endpoint(endpoint));
  }
  for (const HostEndpoint& endpoint : config.http) {
    options.http.push_back(to_net_endpoint(endpoint));
  }
  options.threads = config.threads;
  return options;
}

net::AcmeOptions acme_options(const HostConfig& config) {
  net::AcmeOptions options;
  options.directory_url = config.acme.directory;
  if (!config.acme.ca_file.empty()) {
    options.ca_file = config.acme.ca_file;
  }
  options.contact = config.acme.contact;
  options.order_timeout = config.acme.order_timeout;
  switch (config.acme.challenge) {
    case AcmeChallengeKind::http01:
      options.challenge = net::ChallengeType::http01;
      break;
    case AcmeChallengeKind::tls_alpn01:
      options.challenge = net::ChallengeType::tls_alpn01;
      break;
  }
  return options;
}

core::Result<net::DnsOptions> dns_options(const HostConfig& config) {
  net::DnsOptions options;
  options.timeout = std::chrono::milliseconds(5000);
  for (const std::string& text : config.dns_servers) {
    auto server = net::parse_dns_server(text);
    if (!server) {
      return core::fail(core::Errc::invalid_value, "dns_servers: " + server.error().message);
    }
    options.servers.push_back(std::move(*server));
  }
  return options;
}

core::Result<net::DnsUpdateOptions> dns_update_options(const DnsUpdateSettings& settings) {
  auto address = resolve_server(settings.server);
  if (!address) {
    return tl::unexpected(address.error());
  }
  net::DnsUpdateOptions options;
  options.server = std::move(*address);
  options.port = settings.port;
  options.zone = settings.zone;
  options.timeout = settings.timeout;
  if (settings.key) {
    auto key = key_of(*settings.key);
    if (!key) {
      return tl::unexpected(key.error());
    }
    options.key = std::move(*key);
  }
  return options;
}

net::HttpServerLimits admin_limits() {
  net::HttpServerLimits limits;
  limits.max_body_bytes = core::kMaxAdminBodySize;
  limits.max_connections = kMaxAdminConnections;
  return limits;
}

}  // namespace mtasts::hosting
