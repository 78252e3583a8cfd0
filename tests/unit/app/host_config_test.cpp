#include "host/host_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "host/host_config_reader.hpp"

namespace mtasts::app {
namespace {

HostEnvironment environment() {
  HostEnvironment env;
  env.env.is_root = true;
  env.hostname = "vm1";
  env.pid = 42;
  return env;
}

HostConfigLoad parse_ok(const std::string& text) {
  auto loaded = parse_host_config(text, environment());
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
  return loaded ? *loaded : HostConfigLoad{};
}

std::string parse_error(const std::string& text) {
  auto loaded = parse_host_config(text, environment());
  EXPECT_FALSE(loaded) << "parsed: " << text;
  return loaded ? "" : loaded.error().message;
}

constexpr const char* kMinimal = "service: {hostname: mta-sts.provider.example}\n";

TEST(HostConfig, Example_Parses_WithEveryKeyRead) {
  std::ifstream in(std::string(MTASTS_EXAMPLES_DIR) + "/host.yml");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const HostConfigLoad loaded = parse_ok(text.str());
  const HostConfig& c = loaded.config;
  for (const std::string& warning : loaded.warnings) {
    EXPECT_EQ(warning.find("unknown key"), std::string::npos) << warning;
  }
  EXPECT_EQ(c.service.hostname, "mta-sts.provider.example");
  EXPECT_EQ(c.service.addresses, (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
  EXPECT_EQ(c.service.delegation_zone, "sts.provider.example");
  EXPECT_EQ(c.https, (std::vector<HostEndpoint>{{"", 443}}));
  EXPECT_EQ(c.http, (std::vector<HostEndpoint>{{"", 80}}));
  EXPECT_EQ(c.admin_listen, (HostEndpoint{"127.0.0.1", 8462}));
  EXPECT_EQ(c.token_file, "/etc/mtasts/host-tokens");
  ASSERT_TRUE(c.metrics);
  EXPECT_EQ(*c.metrics, (HostEndpoint{"127.0.0.1", 9462}));
  EXPECT_EQ(c.store.type, store::HostingStoreType::sqlite);
  EXPECT_EQ(c.store.filename, "/var/lib/mtasts/host.db");
  EXPECT_EQ(c.acme.directory, kLetsEncryptDirectory);
  EXPECT_EQ(c.acme.contact, (std::vector<std::string>{"mailto:hostmaster@provider.example"}));
  EXPECT_EQ(c.acme.challenge, AcmeChallengeKind::http01);
  ASSERT_TRUE(c.dns_update);
  EXPECT_EQ(c.dns_update->server, "192.0.2.53");
  EXPECT_EQ(c.dns_update->port, 53);
  EXPECT_EQ(c.dns_update->zone, "sts.provider.example");
  ASSERT_TRUE(c.dns_update->key);
  EXPECT_EQ(c.dns_update->key->name, "mtasts-update");
  EXPECT_EQ(c.dns_update->key->secret_file, "/etc/mtasts/update.key");
  EXPECT_EQ(c.sync_interval, std::chrono::seconds(5));
  EXPECT_EQ(c.monitor.interval, std::chrono::seconds(3600));
  EXPECT_EQ(c.monitor.alert.webhook, "https://alerts.provider.example/mtasts");
  EXPECT_EQ(c.monitor.alert.command,
            (std::vector<std::string>{"/usr/local/bin/mtasts-alert", "--page"}));
  EXPECT_TRUE(c.reports.https);
  EXPECT_EQ(c.reports.retention, std::chrono::days(400));
  EXPECT_EQ(c.user, "mtasts");
  EXPECT_EQ(c.instance, "vm1:42");
}

TEST(HostConfig, Minimal_TakesTheDefaults) {
  const HostConfig c = parse_ok(kMinimal).config;
  EXPECT_EQ(c.state_dir, "/var/lib/mtasts");
  EXPECT_EQ(c.store.filename, "/var/lib/mtasts/host.db");
  EXPECT_EQ(c.service.record_ttl, 300u);
  EXPECT_FALSE(c.metrics);
  EXPECT_FALSE(c.dns_update);
  EXPECT_EQ(c.acme.order_timeout, std::chrono::seconds(300));
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.shutdown_timeout, std::chrono::seconds(10));
}

TEST(HostConfig, ServiceWithoutHostnameOrAddresses_IsAnError) {
  EXPECT_NE(parse_error("listen: {threads: 2}\n").find("service.hostname: required"),
            std::string::npos);
  EXPECT_TRUE(parse_host_config("service: {addresses: [192.0.2.1]}\n", environment()));
}

TEST(HostConfig, Errors_NameTheKeyAndLine) {
  EXPECT_EQ(parse_error(std::string(kMinimal) + "listen:\n  https: [\"bad\"]\n"),
            "listen.https: [0]: invalid listen address \"bad\": no port (write HOST:PORT, or "
            "[IPV6]:PORT) (line 3)");
  EXPECT_EQ(parse_error(std::string(kMinimal) + "sync_interval: soon\n"),
            "sync_interval: expected a positive number of seconds, got \"soon\" (line 2)");
  EXPECT_EQ(parse_error(std::string(kMinimal) + "store: {type: redis}\n"),
            "store.type: expected sqlite or postgres, got \"redis\" (line 2)");
  EXPECT_NE(parse_error(std::string(kMinimal) + "store: {type: postgres}\n").find("store.dsn"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "acme: {challenge: dns-01}\n")
                .find("acme.challenge: expected http-01 or tls-alpn-01"),
            std::string::npos);
  EXPECT_NE(parse_error("service: {hostname: \"not a name\"}\n").find("service.hostname"),
            std::string::npos);
  EXPECT_NE(parse_error("service: {hostname: a.example, addresses: [x]}\n")
                .find("service.addresses: expected IP addresses"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "listen: {https: [\"example.com:443\"]}\n")
                .find("must be an IP address"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "monitor: {alert: {command: [mail]}}\n")
                .find("monitor.alert.command: expected the absolute path"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "monitor: {alert: {webhook: ftp://x}}\n")
                .find("monitor.alert.webhook"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "acme: {directory: http://ca/dir}\n")
                .find("acme.directory: expected an https:// URL"),
            std::string::npos);
  EXPECT_NE(parse_error("service: {hostname: a.example\n").find("line"), std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "reports: {https: maybe}\n")
                .find("reports.https: expected on or off"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "reports: {retention_days: 0}\n")
                .find("reports.retention_days"),
            std::string::npos);
}

TEST(HostConfig, Reports_OffAndRetention) {
  const HostConfig c =
      parse_ok(std::string(kMinimal) + "reports: {https: off, retention_days: 30}\n").config;
  EXPECT_FALSE(c.reports.https);
  EXPECT_EQ(c.reports.retention, std::chrono::days(30));
  EXPECT_TRUE(parse_ok(kMinimal).config.reports.https);
}

TEST(HostConfig, ReportMail_ListenersAndTheAddressToPublish) {
  const HostConfig c = parse_ok(std::string(kMinimal) +
                                "reports:\n  mail:\n    domain: TLSRPT.Provider.Example.\n"
                                "    smtp: ['*:25']\n    lmtp: ['127.0.0.1:2424']\n"
                                "    lmtp_socket: /run/mtasts/lmtp.sock\n")
                           .config;
  EXPECT_EQ(c.reports.mail.domain, "tlsrpt.provider.example");
  EXPECT_EQ(c.reports.mail.hostname, "tlsrpt.provider.example");
  ASSERT_EQ(c.reports.mail.smtp.size(), 1u);
  EXPECT_EQ(c.reports.mail.smtp[0].port, 25);
  ASSERT_EQ(c.reports.mail.lmtp.size(), 1u);
  EXPECT_EQ(c.reports.mail.lmtp_socket, "/run/mtasts/lmtp.sock");
  EXPECT_EQ(c.service.report_mail_domain, "tlsrpt.provider.example");
  EXPECT_TRUE(c.service.report_https);
  EXPECT_EQ(parse_ok(kMinimal).config.reports.mail.domain, "");

  EXPECT_NE(parse_error(std::string(kMinimal) + "reports: {mail: {smtp: ['*:25']}}\n")
                .find("reports.mail.domain: required"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "reports: {mail: {domain: t.example}}\n")
                .find("reports.mail.smtp: no listener"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) +
                        "reports: {mail: {domain: t.example, lmtp_socket: rel.sock}}\n")
                .find("reports.mail.lmtp_socket: expected an absolute path"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kMinimal) + "reports: {mail: {domain: t.example, tls: on}}\n")
                .find("reports.mail"),
            std::string::npos);
}

TEST(HostConfig, ASecondDocument_IsAnError) {
  // As for the daemon's file: a second document would otherwise be ignored without a word.
  const auto two =
      parse_host_config(std::string(kMinimal) + "---\nsync_interval: 1\n", environment());
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, core::Errc::invalid_syntax);
  EXPECT_NE(two.error().message.find("expected one YAML document"), std::string::npos)
      << two.error().message;
}

TEST(HostConfig, ConsoleListen_IsOptional_AndWarnsOffLoopback) {
  const auto console_warnings = [](const HostConfigLoad& loaded) {
    std::string out;
    for (const std::string& warning : loaded.warnings) {
      if (warning.find("console_listen") != std::string::npos) {
        out += warning + "\n";
      }
    }
    return out;
  };
  EXPECT_FALSE(parse_ok(kMinimal).config.console_listen);
  const HostConfigLoad local =
      parse_ok(std::string(kMinimal) + "admin: {console_listen: 127.0.0.2:8463}\n");
  ASSERT_TRUE(local.config.console_listen);
  EXPECT_EQ(*local.config.console_listen, (HostEndpoint{"127.0.0.2", 8463}));
  EXPECT_EQ(console_warnings(local), "");
  const HostConfigLoad open =
      parse_ok(std::string(kMinimal) + "admin: {console_listen: \"*:8463\"}\n");
  EXPECT_NE(console_warnings(open).find("admin.console_listen: *:8463 is not a loopback address"),
            std::string::npos)
      << console_warnings(open);
  EXPECT_NE(parse_error(std::string(kMinimal) + "admin: {console_listen: nowhere}\n")
                .find("console_listen"),
            std::string::npos);
}

TEST(HostConfig, UnknownKeys_Warn) {
  const HostConfigLoad loaded =
      parse_ok(std::string(kMinimal) + "listen: {thread: 2}\nstorage: {}\n");
  std::string all;
  for (const std::string& warning : loaded.warnings) {
    all += warning + "\n";
  }
  EXPECT_NE(all.find("listen.thread: unknown key, ignored (did you mean threads?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("storage: unknown key, ignored"), std::string::npos) << all;
}

TEST(HostConfig, DnsUpdate_DefaultsFromTheService_AndNeedsASecret) {
  const HostConfig c =
      parse_ok(
          "service: {hostname: h.example, delegation_zone: Sts.Example., record_ttl: 60}\n"
          "dns_update:\n  server: \"[2001:db8::53]:5353\"\n"
          "  key: {name: k, secret: c2VjcmV0}\n")
          .config;
  ASSERT_TRUE(c.dns_update);
  EXPECT_EQ(c.dns_update->server, "2001:db8::53");
  EXPECT_EQ(c.dns_update->port, 5353);
  EXPECT_EQ(c.dns_update->zone, "sts.example");
  EXPECT_EQ(c.dns_update->ttl, 60u);
  EXPECT_NE(parse_error("service: {hostname: h.example, delegation_zone: sts.example}\n"
                        "dns_update: {server: 192.0.2.1, key: {name: k}}\n")
                .find("dns_update.key: give secret"),
            std::string::npos);
  EXPECT_NE(parse_error("service: {hostname: h.example}\ndns_update: {server: 192.0.2.1}\n")
                .find("dns_update.zone: required"),
            std::string::npos);
  const HostConfigLoad unsigned_updates = parse_ok(
      "service: {hostname: h.example, delegation_zone: sts.example}\n"
      "dns_update: {server: 192.0.2.1}\n");
  bool warned = false;
  for (const std::string& warning : unsigned_updates.warnings) {
    warned = warned || warning == "dns_update.key: not given, so updates are sent unsigned";
  }
  EXPECT_TRUE(warned);
}

TEST(HostConfig, Store_Postgres_AndSqliteFile) {
  const HostConfig pg =
      parse_ok(std::string(kMinimal) + "store: {type: postgres, dsn: \"host=db\", timeout: 2}\n")
          .config;
  EXPECT_EQ(pg.store.type, store::HostingStoreType::postgres);
  EXPECT_EQ(pg.store.dsn, "host=db");
  EXPECT_EQ(pg.store.timeout, std::chrono::seconds(2));
  const HostConfig lite = parse_ok(std::string(kMinimal) + "state_dir: /srv/mtasts\n").config;
  EXPECT_EQ(lite.store.filename, "/srv/mtasts/host.db");
  EXPECT_NE(parse_error(std::string(kMinimal) + "store: {filename: host.db}\n")
                .find("store.filename: expected an absolute path"),
            std::string::npos);
}

TEST(HostConfig, AdminOffLoopback_Warns) {
  const HostConfigLoad loaded =
      parse_ok(std::string(kMinimal) + "admin: {listen: \"192.0.2.5:8462\"}\n");
  bool warned = false;
  for (const std::string& warning : loaded.warnings) {
    warned = warned || warning.find("not a loopback address") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

TEST(HostConfig, Endpoints_Parse) {
  EXPECT_EQ(*parse_host_endpoint("*:443"), (HostEndpoint{"", 443}));
  EXPECT_EQ(*parse_host_endpoint("[::1]:80"), (HostEndpoint{"::1", 80}));
  EXPECT_EQ(*parse_host_endpoint("127.0.0.1:8462"), (HostEndpoint{"127.0.0.1", 8462}));
  EXPECT_FALSE(parse_host_endpoint("*:0"));
  EXPECT_FALSE(parse_host_endpoint("127.0.0.1"));
  EXPECT_EQ(endpoint_text(HostEndpoint{"::1", 80}), "[::1]:80");
  EXPECT_EQ(endpoint_text(HostEndpoint{"", 443}), "*:443");
}

}  // namespace
}  // namespace mtasts::app
