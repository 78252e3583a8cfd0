#pragma once

// The certificates an HTTPS server presents, chosen by SNI, changed while it runs.
//
// One TLS server context (TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers, no renegotiation, no
// session resumption: an MTA-STS sender fetches a policy once per max_age, so a session cache
// would buy nothing) and, per name, a parsed certificate chain and key. The ClientHello's server
// name selects the name's certificate (SSL_use_cert_and_key on the connection; measured at a
// third of the memory of one SSL_CTX per certificate, see docs/benchmarks.md):
//   - a name with a certificate gets it;
//   - a client offering ALPN "acme-tls/1" for a name with a TLS-ALPN-01 challenge gets the
//     challenge certificate and ALPN acme-tls/1 (RFC 8737 §3), and the server answers no HTTP
//     on that connection; offering acme-tls/1 for a name without a challenge ends in a fatal
//     no_application_protocol alert;
//   - no SNI, or a name with neither, gets a fatal unrecognized_name alert (RFC 6066 §3),
//     never a default or self-signed certificate.
//
// Thread-safe: handshakes on any number of threads read the set under a shared lock held for a
// hash lookup; put() and remove() (serialised among themselves) parse and check outside that
// lock and hold it exclusively only to swap one entry, so a change is seen by the next
// handshake, with no restart. Loading costs about 0.4 ms per certificate (OpenSSL 3 decoding).

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mtasts/core/base/result.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace mtasts::net {

struct ServedCertificate {
  std::string name;       // the host name served, e.g. "mta-sts.example.com"
  std::string chain_pem;  // the leaf first, then the intermediates
  std::string key_pem;    // the leaf's private key (PKCS#8 or traditional PEM)
};

// Builds the RFC 8737 challenge certificate for `name` and a key authorization: returns
// (certificate PEM, private key PEM). net/acme provides make_tls_alpn_challenge_certificate.
using AlpnChallengeMaker = std::function<core::Result<std::pair<std::string, std::string>>(
    std::string_view name, std::string_view key_authorization)>;

class CertificateSet {
 public:
  // Throws std::runtime_error when OpenSSL cannot make a server context (start-up only).
  explicit CertificateSet(AlpnChallengeMaker challenge_maker = {});
  ~CertificateSet();
  CertificateSet(const CertificateSet&) = delete;
  CertificateSet& operator=(const CertificateSet&) = delete;

  // Serves `certificate.chain_pem` for `certificate.name` (case-insensitive), replacing what
  // the name had. The chain is parsed, the key must match the leaf, and the leaf must be valid
  // for the name by its subjectAltName DNS-IDs (a wildcard matches one whole left-most label;
  // the subject CN is never consulted). Validity dates are not checked here. A chain and key
  // identical to one already held (one multi-SAN certificate put under each of its names) are
  // shared, not parsed again.
  // Errors: Errc::invalid_value naming the problem (no certificate in the PEM, unreadable key,
  // key does not match, name not in the certificate, an invalid name).
  [[nodiscard]] core::Result<void> put(const ServedCertificate& certificate);

  // Stops serving `name`; the next handshake for it gets unrecognized_name. Connections already
  // established keep their certificate.
  void remove(std::string_view name);

  [[nodiscard]] bool has(std::string_view name) const;

  // Names with a certificate.
  [[nodiscard]] std::size_t size() const;

  // TLS-ALPN-01 (RFC 8737): serves the challenge certificate for `name` and
  // `key_authorization`, built by the maker given at construction, to clients offering ALPN
  // acme-tls/1 only.
  // Errors: Errc::invalid_value without a maker or when the maker fails; put errors.
  [[nodiscard]] core::Result<void> put_alpn_challenge(std::string_view name,
                                                      std::string_view key_authorization);

  // The same with a challenge certificate and key made elsewhere. The certificate must hold
  // `name` as a DNS-ID; its acmeIdentifier extension is not inspected.
  [[nodiscard]] core::Result<void> put_alpn_challenge_certificate(std::string_view name,
                                                                  std::string_view cert_pem,
                                                                  std::string_view key_pem);

  void remove_alpn_challenge(std::string_view name);

  [[nodiscard]] bool has_alpn_challenge(std::string_view name) const;

  // The server context that HttpServer::listen_tls handshakes with. Owned by the set.
  [[nodiscard]] ssl_ctx_st* native_context() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mtasts::net
