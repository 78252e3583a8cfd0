#pragma once

// The ACME client (RFC 8555) of `mtasts host`: one account, orders for a few DNS names each,
// answered by HTTP-01 (RFC 8555 §8.3) or TLS-ALPN-01 (RFC 8737), finalized with a CSR for a
// fresh P-256 key, the chain downloaded. Every request is a JWS signed with ES256 (RFC 7518
// §3.4) by the account key; a badNonce answer is retried with a fresh nonce.
//
// Glossary:
//   kid                the account URL; it names the account key in every JWS but newAccount
//   key authorization  token "." base64url(SHA-256(JWK thumbprint input)), RFC 8555 §8.1
//   publisher          whoever makes the key authorization visible to the CA (the policy
//                      server's port 80 for HTTP-01, its acme-tls/1 certificates for TLS-ALPN-01)
//
// Deadlines: each HTTPS request to the CA has AcmeOptions::timeout (lookup, connect, TLS,
// request and response together); an order as a whole, polling included, has
// AcmeOptions::order_timeout. Polls wait what the server's Retry-After says (within the
// deadline), else a short interval that grows.
//
// Threads: a client is used from its executor's thread only; several orders may run on it at
// once (they share the directory and the unused nonces).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/acme/acme_messages.hpp"
#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {

enum class ChallengeType { http01, tls_alpn01 };

// "http-01" or "tls-alpn-01", as RFC 8555 §9.7.8 registers them.
[[nodiscard]] std::string_view challenge_type_name(ChallengeType type);

struct AcmeOptions {
  std::string directory_url;           // https://...
  std::optional<std::string> ca_file;  // PEM bundle that replaces the system store
  std::vector<std::string> contact;    // "mailto:..."
  std::chrono::seconds timeout{30};    // each request to the CA
  ChallengeType challenge = ChallengeType::http01;
  // The bound on one order() from newOrder to the downloaded chain, polling included.
  std::chrono::seconds order_timeout{300};
  // Agree to the CA's terms of service (directory meta.termsOfService) at newAccount.
  bool agree_to_terms = true;
};

struct AcmeAccount {
  std::string key_pem;  // P-256 private key, PKCS#8 PEM
  std::string url;      // the kid
};

struct PendingChallenge {
  ChallengeType type;
  std::string name;               // the DNS name being validated
  std::string token;              // base64url, checked (RFC 8555 §8.3)
  std::string key_authorization;  // HTTP-01: the body; TLS-ALPN-01: hashed into the cert
};

// Makes a challenge answerable. publish() returns once the CA can see it (for a cluster: once
// every instance answers it); withdraw() is called for every published challenge when the
// order no longer needs it, whether it succeeded or not.
class ChallengePublisher {
 public:
  virtual ~ChallengePublisher() = default;
  virtual boost::asio::awaitable<core::Result<void>> publish(PendingChallenge challenge) = 0;
  virtual boost::asio::awaitable<void> withdraw(PendingChallenge challenge) = 0;
};

struct IssuedCertificate {
  std::string chain_pem;                       // leaf first, as the CA sent it
  std::string key_pem;                         // the leaf's fresh P-256 key, PKCS#8 PEM
  std::int64_t not_before = 0, not_after = 0;  // the leaf's validity, unix seconds
};

// How an ACME operation failed.
enum class AcmeErrc {
  transport,    // the CA could not be reached or talked to: DNS, connect, TLS, HTTP framing
  timeout,      // a request's timeout or the order's deadline passed
  problem,      // the CA answered with an error (a problem document, or a bare error status)
  protocol,     // the CA's answer broke RFC 8555: bad JSON, no Replay-Nonce, no Location, ...
  invalid,      // an authorization or the order became invalid (the CA refused a challenge)
  publisher,    // the ChallengePublisher could not publish a challenge
  unsupported,  // the CA offers no challenge of the configured type for a name
  local,        // our side: an unusable account key, names, or a key/CSR that cannot be made
};

[[nodiscard]] std::string_view acme_errc_name(AcmeErrc code);

// The net code an AcmeErrc travels as in core::Error: transport connect, timeout timeout,
// problem, invalid and unsupported refused, protocol protocol, publisher and local internal.
[[nodiscard]] Errc net_errc(AcmeErrc code);

// The error of ensure_account() and order(). `problem_type` is the RFC 8555 §6.7 type (a URN
// such as "urn:ietf:params:acme:error:rateLimited") of the CA's problem document, or of the
// challenge or order error that made an order invalid; empty when the CA sent none.
// `retry_after` is the CA's Retry-After (RFC 8555 §6.6 for rateLimited, §8.2 for polling), in
// seconds, when it sent one: a caller backs off at least that long.
//
// It converts to core::Error (the code by net_errc, the same message), so it can be kept or
// passed on as a core::Result where the ACME details do not matter.
struct AcmeError {
  AcmeErrc code = AcmeErrc::local;
  std::string message;  // one sentence an administrator can act on, with the CA's detail
  std::string problem_type;
  std::optional<std::chrono::seconds> retry_after;
  std::optional<core::AcmeProblem> problem;  // the whole document, subproblems included
  unsigned http_status = 0;                  // of the failing answer; 0 when there was none

  operator core::Error() const;  // NOLINT(google-explicit-constructor): see above
};

template <class T>
using AcmeResult = tl::expected<T, AcmeError>;

// A fresh P-256 account key, PKCS#8 PEM. Errors: Errc::system if the TLS library fails.
[[nodiscard]] core::Result<std::string> generate_account_key();

// The key authorization for `token` under the account key `key_pem` (RFC 8555 §8.1).
// Errors: Errc::invalid_value for a key that is not a P-256 private key in PEM.
[[nodiscard]] core::Result<std::string> acme_key_authorization(std::string_view key_pem,
                                                               std::string_view token);

// The RFC 8737 §3 challenge certificate for `name`: self-signed with a fresh P-256 key, SAN
// dNSName = name, and the critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding the
// DER OCTET STRING of SHA-256(key_authorization). Valid from a day ago for a week.
// Returns (certificate PEM, key PEM). Errors: Errc::invalid_value if OpenSSL refuses `name`.
[[nodiscard]] core::Result<std::pair<std::string, std::string>> make_tls_alpn_challenge_certificate(
    std::string_view name, std::string_view key_authorization);

class AcmeClient {
 public:
  virtual ~AcmeClient() = default;

  // A client whose requests run on `executor` and resolve the CA's host with `resolver`
  // (which must outlive it). Errors: Errc::invalid_value for a directory URL that is not
  // https, an unreadable CA file, or a TLS context that cannot be set up.
  [[nodiscard]] static core::Result<std::unique_ptr<AcmeClient>> create(
      boost::asio::any_io_executor executor, DnsResolver& resolver, AcmeOptions options);

  // With `known`: checks the account (POST-as-GET of its URL) and returns it unchanged when
  // it is valid; an account the CA no longer knows is registered anew with the same key.
  // Without: makes a key and registers a new account (newAccount with contact and, when
  // agree_to_terms, termsOfServiceAgreed). The directory is fetched once per client.
  // Errors: AcmeError (a deactivated or revoked account is AcmeErrc::problem with
  // problem_type "urn:ietf:params:acme:error:unauthorized").
  virtual boost::asio::awaitable<AcmeResult<AcmeAccount>> ensure_account(
      std::optional<AcmeAccount> known) = 0;

  // Orders one certificate for `names` (A-labels; the first becomes the CN): newOrder, each
  // pending authorization answered through `publisher` with the configured challenge type,
  // polling until valid, finalize with a CSR for a fresh P-256 key, polling until the order
  // is valid, then the chain downloaded and checked against the key. Every challenge
  // published is withdrawn before this returns. `account` and `publisher` are used until the
  // returned awaitable completes (it starts only when awaited): keep both alive until then.
  // Errors: AcmeError; a refused challenge is AcmeErrc::invalid with the challenge's problem
  // type.
  virtual boost::asio::awaitable<AcmeResult<IssuedCertificate>> order(
      const AcmeAccount& account, std::vector<std::string> names,
      ChallengePublisher& publisher) = 0;
};

}  // namespace mtasts::net
