#pragma once

// Shared set-up of the policy fetcher tests: an io_context, a fake resolver that maps
// mta-sts.example.com to 127.0.0.1, the test PKI, and a helper that fetches from a server.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "fake_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "test_https_server.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"

namespace mtasts::net::testing {

inline constexpr char kPolicy[] =
    "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n";

// Options that trust the test CA and connect to `port` (instead of 443).
inline FetchOptions test_fetch_options(std::uint16_t port, std::chrono::milliseconds timeout) {
  FetchOptions options;
  options.timeout = timeout;
  options.ca_file = TestPki::instance().ca_file();
  options.port = port;
  return options;
}

class FetcherTest : public ::testing::Test {
 protected:
  FetcherTest() { resolver_.set_address("mta-sts.example.com", {"127.0.0.1"}); }

  static const TestPki& pki() { return TestPki::instance(); }
  static Credential good_cert() {
    return pki().issue({"mta-sts.example.com", {"mta-sts.example.com"}});
  }

  FetchResult fetch(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                    std::optional<ProxyConfig> proxy = std::nullopt,
                    std::string domain = "example.com") {
    FetchOptions options = test_fetch_options(port, timeout);
    options.proxy = std::move(proxy);
    return fetch_with(std::move(options), std::move(domain));
  }

  FetchResult fetch_with(FetchOptions options, std::string domain = "example.com") {
    auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, std::move(options));
    EXPECT_TRUE(fetcher) << (fetcher ? "" : fetcher.error().message);
    if (!fetcher) {
      return {};
    }
    auto result = run_until_done(io_, (*fetcher)->fetch(std::move(domain)));
    EXPECT_TRUE(result.has_value()) << "the fetch did not finish within the loop bound";
    return result.value_or(FetchResult{});
  }

  // A server on io_ with the given certificate and script.
  TestHttpsServer& serve(ServerScript script, std::optional<Credential> cert = std::nullopt) {
    servers_.push_back(
        std::make_unique<TestHttpsServer>(io_, cert ? *cert : good_cert(), std::move(script)));
    return *servers_.back();
  }

  boost::asio::io_context io_;
  FakeResolver resolver_;
  std::vector<std::unique_ptr<TestHttpsServer>> servers_;
};

}  // namespace mtasts::net::testing
