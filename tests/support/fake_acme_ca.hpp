#pragma once

// A small ACME CA inside the test process (HTTPS on 127.0.0.1, ephemeral port, certificate
// from the TestPki for "acme.test"): directory, nonces, accounts, one order at a time with
// one authorization per name and an http-01 challenge each, finalize and download. It checks
// every JWS as RFC 8555 §6.2-6.5 requires (ES256 signature against the account's key, nonce
// issued and unused, url equal to the request URL, jwk only for newAccount) and misbehaves on
// request, so the client's failure paths can be driven.

#include <openssl/evp.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mtasts::net::testing {

enum class AuthzOutcome { valid, invalid, pending_forever };

struct FakeAcmeScript {
  int bad_nonces = 0;  // refuse this many good nonces first (badNonce)
  bool always_bad_nonce = false;
  AuthzOutcome authz = AuthzOutcome::valid;
  std::optional<std::string> directory_body;       // replaces the real directory
  bool nonce_header = true;                        // false: HEAD newNonce has no Replay-Nonce
  std::optional<std::string> new_account_problem;  // e.g. a rateLimited document
  std::string new_account_retry_after;             // its Retry-After
  std::vector<std::string> challenge_types{"http-01"};
  bool wrong_certificate_key = false;  // issue the certificate for another key
  std::string order_retry_after;       // Retry-After on order polls
  // Refuse every newOrder (HTTP 403) with this problem document.
  std::optional<std::string> new_order_problem;
};

struct FakeAcmeLog {
  int posts = 0;
  int bad_nonce_answers = 0;
  int jws_rejected = 0;  // JWS that failed verification (a client bug)
  std::vector<std::string> jws_errors;
  int new_accounts = 0;
  int account_lookups = 0;
  int challenge_responses = 0;
  int authz_polls = 0;
  int order_polls = 0;
  std::vector<std::string> csr_names;         // SAN dNSNames of the last CSR
  std::string last_accept;                    // Accept of the certificate download
  std::map<std::string, std::string> tokens;  // name -> token
  // The kid of each newOrder, in order.
  std::vector<std::string> order_accounts;
};

class FakeAcmeCa {
 public:
  FakeAcmeCa(boost::asio::io_context& io, FakeAcmeScript script);
  ~FakeAcmeCa();

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::string directory_url() const;
  [[nodiscard]] const FakeAcmeLog& log() const { return log_; }
  FakeAcmeScript& script() { return script_; }
  // The thumbprint input of the account key the CA registered (for key authorizations).
  [[nodiscard]] std::string account_thumbprint_input() const { return thumbprint_input_; }
  void forget_accounts() { accounts_.clear(); }

  struct Reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

 private:
  struct Verified {
    std::string payload;
    std::string account;   // kid, or the new account's URL
    bool created = false;  // newAccount made a new account
  };

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  Reply handle(const std::string& method, const std::string& target, const std::string& body,
               const std::string& accept);
  Reply handle_post(const std::string& target, const Verified& request);
  std::optional<Reply> verify(const std::string& target, const std::string& body, Verified& out);
  Reply problem(unsigned status, const std::string& type, const std::string& detail);
  std::string url(const std::string& path) const;
  std::string nonce();
  std::string order_json() const;
  std::string authz_json(const std::string& name) const;
  Reply finalize(const std::string& payload);

  boost::asio::ssl::context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  FakeAcmeScript script_;
  FakeAcmeLog log_;
  int next_nonce_ = 0;
  std::set<std::string> nonces_;
  std::map<std::string, std::shared_ptr<EVP_PKEY>> accounts_;  // kid -> key
  std::string thumbprint_input_;
  std::vector<std::string> order_names_;
  std::set<std::string> answered_;  // names whose challenge was answered
  bool finalized_ = false;
  std::string certificate_pem_;
};

}  // namespace mtasts::net::testing
