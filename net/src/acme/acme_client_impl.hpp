#pragma once

// The AcmeClient implementation, split over acme_client.cpp (directory, nonces, signed
// requests, the account) and acme_order.cpp (the order). Private to mtasts::net.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "acme/acme_crypto.hpp"
#include "acme/acme_http.hpp"
#include "mtasts/core/acme/acme_messages.hpp"
#include "mtasts/net/acme/acme_client.hpp"

namespace mtasts::net::acme {

// Who signs a request: the account key, and the kid once the account exists.
struct Signer {
  KeyPtr key;
  core::EcPublicKey public_key;
  std::string kid;  // empty: the JWS carries the jwk (newAccount)
};

[[nodiscard]] AcmeResult<Signer> signer_for(const std::string& key_pem, std::string kid);

[[nodiscard]] tl::unexpected<AcmeError> acme_failure(AcmeErrc code, std::string message);

// The error an answer with a status of 300 or more stands for: the problem document's type,
// detail and subproblems when it holds one, the Retry-After in any case.
[[nodiscard]] AcmeError error_from_reply(const HttpReply& reply, const std::string& what);

// The answer's Retry-After, as seconds from now.
[[nodiscard]] std::optional<std::chrono::seconds> retry_after_of(const HttpReply& reply);

class Client final : public AcmeClient {
 public:
  Client(boost::asio::any_io_executor executor, AcmeOptions options, HttpClient http);

  boost::asio::awaitable<AcmeResult<AcmeAccount>> ensure_account(
      std::optional<AcmeAccount> known) override;
  boost::asio::awaitable<AcmeResult<IssuedCertificate>> order(
      const AcmeAccount& account, std::vector<std::string> names,
      ChallengePublisher& publisher) override;

 private:
  struct OrderRun;

  // The coroutines below take references (the signer, the run, the publisher): every call is
  // co_awaited at once by a coroutine that owns the referenced objects.

  // acme_client.cpp
  boost::asio::awaitable<AcmeResult<core::AcmeDirectory>> directory(Clock::time_point bound);
  boost::asio::awaitable<AcmeResult<std::string>> take_nonce(Clock::time_point bound);
  // A signed POST (`payload` empty: POST-as-GET, RFC 8555 §6.3). A badNonce answer is retried
  // with a fresh nonce (§6.5) a few times; any status of 300 or more is an AcmeError.
  boost::asio::awaitable<AcmeResult<HttpReply>> post(const Signer& signer, std::string url,
                                                     std::string payload, std::string what,
                                                     Clock::time_point bound,
                                                     std::string accept = {});
  boost::asio::awaitable<AcmeResult<AcmeAccount>> register_account(Signer signer,
                                                                   std::string key_pem,
                                                                   Clock::time_point bound);
  [[nodiscard]] Clock::time_point request_deadline(Clock::time_point bound) const;
  void keep_nonce(const HttpReply& reply);

  // acme_order.cpp
  boost::asio::awaitable<AcmeResult<void>> authorize(OrderRun& run, ChallengePublisher& publisher);
  boost::asio::awaitable<AcmeResult<void>> start_challenge(OrderRun& run,
                                                           ChallengePublisher& publisher,
                                                           std::string authorization_url);
  boost::asio::awaitable<AcmeResult<void>> await_authorization(OrderRun& run,
                                                               std::string authorization_url);
  // An authorization as read, with the reply's Retry-After.
  struct AuthorizationReply {
    core::AcmeAuthorization authorization;
    std::optional<std::chrono::seconds> retry_after;
  };
  // Fetches (POST-as-GET) and parses the authorization at `authorization_url`.
  boost::asio::awaitable<AcmeResult<AuthorizationReply>> read_authorization(
      OrderRun& run, std::string authorization_url);
  boost::asio::awaitable<AcmeResult<core::AcmeOrder>> await_order(OrderRun& run,
                                                                  core::OrderStatus wanted);
  boost::asio::awaitable<AcmeResult<IssuedCertificate>> finalize(OrderRun& run);
  boost::asio::awaitable<AcmeResult<void>> pause(Clock::time_point deadline,
                                                 std::optional<std::chrono::seconds> retry_after,
                                                 int attempt, std::string what);

  boost::asio::any_io_executor executor_;
  AcmeOptions options_;
  CaTransport http_;
  std::optional<core::AcmeDirectory> directory_;
  std::vector<std::string> nonces_;  // unused Replay-Nonce values, newest last
};

}  // namespace mtasts::net::acme
