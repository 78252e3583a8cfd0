#pragma once

// What CertificateSet's handshake callbacks tell the connection that runs the handshake.
// Private to mtasts::net: certificate_set.cpp writes it, http_connection.cpp reads it.

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "mtasts/net/http/http_server.hpp"

namespace mtasts::net::detail {

struct Credential;  // a parsed chain and key (certificate_set.cpp)

// One per TLS connection, owned by the connection and attached with SSL_set_app_data before
// the handshake starts.
struct HandshakeNote {
  std::optional<HandshakeFailure> refusal;      // set when a callback refused the handshake
  std::string sni;                              // lowercased; "" without SNI
  bool has_certificate = false;                 // the name has a served certificate
  std::shared_ptr<const Credential> challenge;  // the name's acme-tls/1 certificate, if any
  bool alpn_challenge = false;                  // acme-tls/1 negotiated: no HTTP on this connection
};

inline HandshakeNote* handshake_note(SSL* ssl) {
  return static_cast<HandshakeNote*>(SSL_get_app_data(ssl));
}

}  // namespace mtasts::net::detail
