#include "test_server.hpp"

#include <openssl/ssl.h>

namespace mtasts::net::testing {

boost::asio::ssl::context tls_server_context(const Credential& credential, int max_tls_version) {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_use_certificate(ctx, credential.cert.get());
  SSL_CTX_use_PrivateKey(ctx, credential.key.get());
  if (max_tls_version != 0) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_tls_version);
  }
  return context;
}

}  // namespace mtasts::net::testing
