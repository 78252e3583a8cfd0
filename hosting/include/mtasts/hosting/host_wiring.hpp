#pragma once

// The host configuration mapped onto the net layer's options. The DNS update options read the
// TSIG key file and resolve the server's name, so they are made as root, before the switch to
// the service's user.

#include <string>

#include "mtasts/core/base/result.hpp"
#include "mtasts/hosting/host_settings.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/hosting/policy_server.hpp"
#include "mtasts/net/http/http_server.hpp"

namespace mtasts::hosting {

[[nodiscard]] net::Endpoint to_net_endpoint(const HostEndpoint& endpoint);

// The policy server's listeners and threads; with `reports`, the TLS-RPT intake on /tlsrpt.
[[nodiscard]] net::PolicyServerOptions policy_server_options(const HostConfig& config,
                                                             net::ReportReceiver* reports);

[[nodiscard]] net::AcmeOptions acme_options(const HostConfig& config);

// Errors: Errc::invalid_value naming dns_servers.
[[nodiscard]] core::Result<net::DnsOptions> dns_options(const HostConfig& config);

// The server's address (a name is resolved here, once) and the key (secret, or secret_file in
// any form net::parse_tsig_key_text reads, or a file holding only the base64 secret).
// Errors: Errc::invalid_value naming the dns_update key at fault.
[[nodiscard]] core::Result<net::DnsUpdateOptions> dns_update_options(
    const DnsUpdateSettings& settings);

// The admin listener's limits: bodies up to core::kMaxAdminBodySize.
[[nodiscard]] net::HttpServerLimits admin_limits();

}  // namespace mtasts::hosting
