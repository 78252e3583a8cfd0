#pragma once

// OpenSSL settings of every TLS client of mtasts (the policy fetcher, the HTTP client), kept
// apart from Asio. Private to mtasts::net.

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net {

// Sets up a client context: TLS 1.2 or later (RFC 8461 §7.2), peer verification, no
// renegotiation, and the trust store: `ca_file` alone when given, else the system default
// paths (which honour SSL_CERT_FILE and SSL_CERT_DIR).
// Errors: net::Errc::io when the CA file (or the system trust store) is unreadable or holds no
// certificate.
[[nodiscard]] core::Result<void> configure_client_context(
    SSL_CTX* ctx, const std::optional<std::string>& ca_file);

// Per connection: SNI and the expected DNS-ID are `host` (RFC 8461 §3.3, §7.1); the subject
// CN is never consulted and a wildcard matches only a whole left-most label. An IP address
// literal is sent no SNI (RFC 6066 §3 allows names only) and must be an IP-ID of the
// certificate. Every connection of a TLS client goes through here.
// Errors: Errc::invalid_value when OpenSSL refuses the name or the address: the connection
// must then not be made.
[[nodiscard]] core::Result<void> prepare_client_ssl(SSL* ssl, const std::string& host);

// The leaf certificate the peer sent, also when validation failed; nullopt if none arrived.
[[nodiscard]] std::optional<CertificateInfo> peer_certificate_info(const SSL* ssl);

// OpenSSL's sentence for an X509_V_* code.
[[nodiscard]] std::string verify_error_text(long verify_result);

}  // namespace mtasts::net
