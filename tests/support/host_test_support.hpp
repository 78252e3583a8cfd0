#pragma once

// Fakes and a fixture for the tests of `mtasts host`'s service parts: a DNS updater and an ACME
// client that record what they were asked, and the parts themselves wired on one io_context
// (with the shared fake clock and resolver) over a real SQLite store in a temporary directory.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fake_clock.hpp"
#include "fake_resolver.hpp"
#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_challenges.hpp"
#include "mtasts/hosting/host_policy_source.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"

namespace mtasts::hosting::testing {

namespace asio = boost::asio;

inline const core::HostTime kStart{std::chrono::seconds(1'750'000'000)};

using net::testing::drive;
using net::testing::FakeClock;
using net::testing::FakeResolver;

class FakeUpdater final : public net::DnsUpdater {
 public:
  std::map<std::string, std::string> records;  // owner -> text
  std::vector<std::string> calls;
  int failures_left = 0;

  asio::awaitable<core::Result<void>> replace_txt(std::string owner, std::uint32_t ttl,
                                                  std::string text) override {
    calls.push_back("replace " + owner + " " + std::to_string(ttl) + " " + text);
    if (failures_left > 0) {
      --failures_left;
      co_return core::fail(core::Errc::invalid_value, "the server refused the update (REFUSED)");
    }
    records[owner] = text;
    co_return core::Result<void>();
  }
  asio::awaitable<core::Result<void>> remove_txt(std::string owner) override {
    calls.push_back("remove " + owner);
    records.erase(owner);
    co_return core::Result<void>();
  }
};

// Issues a certificate the CertificateSet accepts (from the test PKI: SAN = the name) after
// publishing and withdrawing one challenge; or fails as scripted.
class FakeAcme final : public net::AcmeClient {
 public:
  explicit FakeAcme(const net::Clock& clock) : clock_(clock) {}
  std::vector<std::string> ordered;
  std::optional<net::AcmeError> fail_with;

  asio::awaitable<net::AcmeResult<net::AcmeAccount>> ensure_account(
      std::optional<net::AcmeAccount> known) override {
    co_return known.value_or(net::AcmeAccount{"account-key", "https://ca.test/acct/1"});
  }

  asio::awaitable<net::AcmeResult<net::IssuedCertificate>> order(
      const net::AcmeAccount&, std::vector<std::string> names,
      net::ChallengePublisher& publisher) override {
    ordered.push_back(names.front());
    net::PendingChallenge challenge{net::ChallengeType::http01, names.front(),
                                    "token-" + std::to_string(ordered.size()), "token.thumb"};
    auto published = co_await publisher.publish(challenge);
    co_await publisher.withdraw(challenge);
    if (!published) {
      net::AcmeError error;
      error.code = net::AcmeErrc::publisher;
      error.message = "publish failed";
      co_return tl::unexpected(std::move(error));
    }
    if (fail_with) {
      co_return tl::unexpected(*fail_with);
    }
    const net::testing::Credential issued =
        net::testing::TestPki::instance().issue({names.front(), {names.front()}});
    const std::int64_t now = clock_.now().time_since_epoch().count();
    co_return net::IssuedCertificate{net::testing::cert_pem(issued.cert.get()),
                                     net::testing::key_pem(issued.key.get()), now - 60,
                                     now + 90 * 86'400};
  }

 private:
  const net::Clock& clock_;
};

// Runs one coroutine to its end and returns its value.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(work), [&out](const std::exception_ptr& error, T value) {
    if (error) {
      std::rethrow_exception(error);
    }
    out = std::move(value);
  });
  EXPECT_TRUE(drive(io, [&out] { return out.has_value(); }));
  return std::move(*out);
}

inline const core::ServiceIdentity kService{
    "mta-sts.provider.test", {"192.0.2.10"}, "sts.provider.test", 300, true, {}};

inline constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
// A customer's token, scoped to example.com.
inline constexpr const char* kCustomerToken = "customer-0123456789abcdef";

// The ACME directory and contact the fixture's API reports.
inline constexpr const char* kAcmeDirectory = "https://acme.test/dir";
inline constexpr const char* kAcmeContact = "mailto:ops@example.net";

// The service's parts over a fresh SQLite store, synced once.
class HostFixture : public ::testing::Test {
 protected:
  HostFixture()
      : dir_(std::filesystem::path(::testing::TempDir()) /
             ("host-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        log_(net::LogLevel::error),
        certificates_(net::make_tls_alpn_challenge_certificate) {
    // The live MX: example.com's listed out of order (mx1 preference 10, mx2 20).
    resolver_.set_mx_records("example.com", {{20, "mx2.example.com"}, {10, "mx1.example.com"}});
    resolver_.set_mx("other.example", {"mx1.other.example"});
    std::filesystem::remove_all(dir_);
    store::HostingStoreConfig config;
    config.filename = (dir_ / "host.db").string();
    auto opened = store::open_hosting_store(config);
    EXPECT_TRUE(opened) << opened.error().message;
    store_ = std::make_unique<StoreWorker>(std::move(*opened));
    tokens_ = *AdminTokens::parse(std::string("alice ") + kToken + "\ncarol " + kCustomerToken +
                                  " customer:example.com\n");
    board_ = std::make_unique<ChallengeBoard>(
        *store_, source_, certificates_, clock_, log_,
        ChallengeBoardOptions{"test", std::chrono::milliseconds(0), std::chrono::seconds(600)});
    sync_ = std::make_unique<HostSync>(*store_, source_, certificates_, board_.get(), clock_, log_);
    api_ = std::make_unique<AdminApi>(
        *store_, *sync_, resolver_, tokens_, clock_, log_,
        AdminApiOptions{kService, "test", kAcmeDirectory, {kAcmeContact}});
  }
  // The first sync, as the service runs at start.
  void SetUp() override { ASSERT_TRUE(run(io_, sync_->sync_once(true))); }

  ~HostFixture() override {
    io_.stop();
    store_->join();
    std::filesystem::remove_all(dir_);
  }

  net::HttpResponse request(const std::string& method, const std::string& target,
                            const std::string& body = "", const std::string& token = kToken) {
    net::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.peer = "127.0.0.1";
    if (!token.empty()) {
      req.headers.emplace_back("Authorization", "Bearer " + token);
    }
    return run(io_, api_->handle(std::move(req)));
  }

  static nlohmann::json json(const net::HttpResponse& response) {
    return nlohmann::json::parse(response.body);
  }

  std::optional<store::DomainRow> stored(const std::string& name) {
    auto row = store_->direct().get_domain(name);
    EXPECT_TRUE(row);
    return row ? *row : std::nullopt;
  }

  std::vector<std::string> audit_actions(const std::string& domain) {
    std::vector<std::string> out;
    const auto entries = store_->direct().audit_log(domain, 100);
    EXPECT_TRUE(entries);
    for (const store::AuditEntry& entry : entries.value_or(std::vector<store::AuditEntry>{})) {
      out.push_back(entry.action);
    }
    return out;
  }

  std::filesystem::path dir_;
  asio::io_context io_;
  net::Logger log_;
  FakeClock clock_{kStart};
  FakeResolver resolver_;
  HostPolicySource source_;
  net::CertificateSet certificates_;
  AdminTokens tokens_ = *AdminTokens::parse(std::string("placeholder ") + kToken + "\n");
  std::unique_ptr<StoreWorker> store_;
  std::unique_ptr<ChallengeBoard> board_;
  std::unique_ptr<HostSync> sync_;
  std::unique_ptr<AdminApi> api_;
};

}  // namespace mtasts::hosting::testing
