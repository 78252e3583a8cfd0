#pragma once

// A PolicyServer on loopback (ephemeral ports, its own threads) with certificates from the test
// CA for mta-sts.a.test, mta-sts.b.test and mta-sts.c.test (c has no policy body), and clients
// that talk to it.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "http_test_client.hpp"
#include "mtasts/net/hosting/policy_server.hpp"
#include "pem_test_util.hpp"

namespace mtasts::net::testing {

inline constexpr char kPolicyBody[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.a.test\r\nmax_age: 86400\r\n";
inline constexpr char kPolicyPath[] = "/.well-known/mta-sts.txt";

class FakePolicySource final : public PolicySource {
 public:
  void set_body(const std::string& domain, std::string body) {
    std::lock_guard lock(mutex_);
    bodies_[domain] = std::make_shared<const std::string>(std::move(body));
  }
  void set_token(const std::string& token, std::string key_authorization) {
    std::lock_guard lock(mutex_);
    tokens_[token] = std::move(key_authorization);
  }
  std::shared_ptr<const std::string> policy_body(std::string_view domain) const override {
    std::lock_guard lock(mutex_);
    auto it = bodies_.find(std::string(domain));
    return it == bodies_.end() ? nullptr : it->second;
  }
  std::optional<std::string> http01_key_authorization(std::string_view token) override {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(std::string(token));
    return it == tokens_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const std::string>> bodies_;
  std::map<std::string, std::string> tokens_;
};

class PolicyServerTest : public ::testing::Test {
 protected:
  PolicyServerTest() {
    for (const char* name : {"a.test", "b.test", "c.test"}) {
      const std::string host = std::string("mta-sts.") + name;
      EXPECT_TRUE(certificates_.put(served(host, leaf_for({host}))));
    }
    source_.set_body("a.test", kPolicyBody);
    source_.set_body("b.test",
                     "version: STSv1\r\nmode: testing\r\nmx: mx.b.test\r\nmax_age: 600\r\n");
  }
  ~PolicyServerTest() override {
    if (server_) {
      server_->stop(std::chrono::seconds(1));
    }
  }

  void start(HttpServerLimits limits = {}, unsigned threads = 1) {
    PolicyServerOptions options;
    options.https = {Endpoint{"127.0.0.1", 0}};
    options.http = {Endpoint{"127.0.0.1", 0}};
    options.threads = threads;
    options.limits = limits;
    server_ = std::make_unique<PolicyServer>(source_, certificates_, options, log_);
    auto listening = server_->listen();
    ASSERT_TRUE(listening) << listening.error().message;
    server_->start();
    https_port_ = server_->https_endpoints().at(0).port;
    http_port_ = server_->http_endpoints().at(0).port;
  }

  // A TLS connection with SNI `name`, verified against the test CA for that name.
  std::unique_ptr<TestConnection> tls(const std::string& name,
                                      std::vector<std::string> alpn = {"http/1.1"},
                                      int max_version = 0) {
    auto conn = std::make_unique<TestConnection>(https_port_);
    TestConnection::TlsOptions options;
    options.sni = name;
    options.verify_host = name;
    options.alpn = std::move(alpn);
    options.max_version = max_version;
    EXPECT_TRUE(conn->start_tls(options))
        << "handshake with " << name << " failed, alert " << conn->alert();
    return conn;
  }

  // One request over a new TLS connection.
  std::optional<HttpReply> fetch(const std::string& sni, const std::string& request,
                                 bool head = false) {
    auto conn = tls(sni);
    EXPECT_TRUE(conn->send(request));
    return conn->read_response(head);
  }

  // Polls the server's counters every 10 ms until `ready` holds; false if it does not within
  // 5 s. A bounded poll rather than a fixed sleep: the counters change on the server's threads,
  // which notify no one.
  template <class Predicate>
  bool eventually(Predicate ready) {
    for (int i = 0; i < 500; ++i) {
      if (ready(server_->stats())) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Logger log_{LogLevel::error};
  FakePolicySource source_;
  CertificateSet certificates_;
  std::unique_ptr<PolicyServer> server_;
  std::uint16_t https_port_ = 0;
  std::uint16_t http_port_ = 0;
};

inline std::size_t failures(const PolicyServerStats& stats, HandshakeFailure failure) {
  return stats.https.handshake_failures[static_cast<std::size_t>(failure)];
}

}  // namespace mtasts::net::testing
