#pragma once

// The settings of `mtasts host` as the service uses them: where it is reached, what it listens
// on, its store, its ACME CA, the DNS server it updates for delegated domains, and the monitor.
// app/host reads them from host.yml (docs/host-config.md lists every key).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

inline constexpr std::string_view kDefaultTokenFile = "/etc/mtasts/host-tokens";
inline constexpr std::string_view kDefaultServiceUser = "mtasts";
inline constexpr std::string_view kLetsEncryptDirectory =
    "https://acme-v02.api.letsencrypt.org/directory";
inline constexpr std::uint16_t kDefaultAdminPort = 8462;

// A listening address; host "" listens on every interface (written "*:PORT").
struct HostEndpoint {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const HostEndpoint&, const HostEndpoint&) = default;
};

// "HOST:PORT", "[IPV6]:PORT" or "*:PORT".
[[nodiscard]] std::string endpoint_text(const HostEndpoint& endpoint);

enum class AcmeChallengeKind { http01, tls_alpn01 };

struct AcmeSettings {
  std::string directory{kLetsEncryptDirectory};
  std::vector<std::string> contact;  // "mailto:..." (a bare address gets the prefix)
  AcmeChallengeKind challenge = AcmeChallengeKind::http01;
  std::string ca_file;  // trust for the CA's API; empty: the system store
  std::chrono::seconds order_timeout{300};

  friend bool operator==(const AcmeSettings&, const AcmeSettings&) = default;
};

struct TsigKeySettings {
  std::string name;
  std::string algorithm = "hmac-sha256";
  std::string secret;       // base64, as key files hold it; or
  std::string secret_file;  // a file holding the base64 secret or a whole key file

  friend bool operator==(const TsigKeySettings&, const TsigKeySettings&) = default;
};

struct DnsUpdateSettings {
  std::string server;  // an IP address or a host name (resolved once at start)
  std::uint16_t port = 53;
  std::string zone;  // the zone the updates name; default: service.delegation_zone
  std::optional<TsigKeySettings> key;
  std::uint32_t ttl = 300;  // of the managed TXT records; default: service.record_ttl
  std::chrono::milliseconds timeout{5000};

  friend bool operator==(const DnsUpdateSettings&, const DnsUpdateSettings&) = default;
};

struct AlertSettings {
  std::string webhook;               // http:// or https:// URL receiving a JSON POST; "" off
  std::vector<std::string> command;  // argv run with the JSON on stdin; empty off
  std::chrono::milliseconds timeout{10'000};

  friend bool operator==(const AlertSettings&, const AlertSettings&) = default;
};

struct MonitorSettings {
  std::chrono::milliseconds interval{3'600'000};  // 0: no monitoring
  AlertSettings alert;

  friend bool operator==(const MonitorSettings&, const MonitorSettings&) = default;
};

// The mail intake of TLS-RPT reports (host_mail_receiver.hpp): off without a domain.
struct ReportMailSettings {
  std::string domain;                 // the address to publish is mailto:<d>@<domain>
  std::vector<HostEndpoint> smtp;     // SMTP listeners (the MX of `domain`)
  std::vector<HostEndpoint> lmtp;     // LMTP over TCP (a local MTA hands mail over)
  std::string lmtp_socket;            // LMTP on a UNIX socket (Postfix's lmtp:unix:)
  std::string hostname;               // in the greeting; default: `domain`
  std::size_t max_connections = 200;  // per listener set; past it the idlest one is closed

  friend bool operator==(const ReportMailSettings&, const ReportMailSettings&) = default;
};

// TLS-RPT intake (docs/tlsrpt-intake.md).
struct ReportSettings {
  bool https = true;                 // POST https://mta-sts.<d>/tlsrpt on the policy server
  std::chrono::days retention{400};  // reports whose period started earlier are deleted
  ReportMailSettings mail;

  friend bool operator==(const ReportSettings&, const ReportSettings&) = default;
};

struct HostConfig {
  core::ServiceIdentity service;
  std::vector<HostEndpoint> https{{"", 443}};
  std::vector<HostEndpoint> http{{"", 80}};
  unsigned threads = 0;  // policy server threads; 0: one per core
  HostEndpoint admin_listen{"127.0.0.1", kDefaultAdminPort};
  // A second address of the admin listener, for the web console (docs/console.md): the same
  // API and pages, e.g. on an address a TLS proxy reaches while admin_listen stays on loopback.
  std::optional<HostEndpoint> console_listen;
  std::string token_file{kDefaultTokenFile};
  std::optional<HostEndpoint> metrics;
  store::HostingStoreConfig store;  // a sqlite filename not given is <state_dir>/host.db
  AcmeSettings acme;
  std::optional<DnsUpdateSettings> dns_update;
  std::vector<std::string> dns_servers;  // HOST[:PORT]; empty: /etc/resolv.conf
  std::string ca_file;  // trust for the monitor's fetches and probes; empty: system store
  std::chrono::milliseconds sync_interval{5000};
  MonitorSettings monitor;
  ReportSettings reports;
  std::string instance;  // default hostname:pid
  std::string state_dir;
  std::string user{kDefaultServiceUser};
  std::chrono::milliseconds shutdown_timeout{10'000};
};

}  // namespace mtasts::hosting
