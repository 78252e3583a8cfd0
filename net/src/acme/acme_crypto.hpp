#pragma once

// The OpenSSL side of the ACME client: P-256 keys, ES256 signatures in the JWS form, SHA-256,
// the CSR, and the checks of a downloaded chain. Private to mtasts::net.

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/acme/acme_messages.hpp"
#include "mtasts/core/base/result.hpp"

namespace mtasts::net::acme {

using KeyPtr = std::shared_ptr<EVP_PKEY>;

// A fresh P-256 key. Errors: net::Errc::system when OpenSSL fails.
[[nodiscard]] core::Result<KeyPtr> new_p256_key();

// A P-256 private key from PEM (PKCS#8 or SEC1). Errors: Errc::invalid_value for anything
// else (unparsable, another curve, RSA).
[[nodiscard]] core::Result<KeyPtr> load_p256_key(std::string_view pem);

// PKCS#8 PEM of a private key. Errors: net::Errc::system when OpenSSL fails.
[[nodiscard]] core::Result<std::string> private_key_pem(EVP_PKEY* key);

// The public point's raw coordinates, 32 bytes each.
[[nodiscard]] core::Result<core::EcPublicKey> ec_public_key(EVP_PKEY* key);

// ES256 (RFC 7518 §3.4): SHA-256 then ECDSA, the signature as r || s, 32 bytes each (not
// the DER form OpenSSL produces).
[[nodiscard]] core::Result<std::string> es256_sign(EVP_PKEY* key, std::string_view data);

[[nodiscard]] std::string sha256(std::string_view data);

// token "." base64url(SHA-256(thumbprint input)) (RFC 8555 §8.1, RFC 7638).
[[nodiscard]] std::string key_authorization(const core::EcPublicKey& account_key,
                                            std::string_view token);

// A DER PKCS#10 request signed by `key`: CN = names[0], SAN dNSName for each name (RFC 8555
// §7.4 wants the names in the SAN). Errors: net::Errc::system when OpenSSL refuses.
[[nodiscard]] core::Result<std::string> make_csr_der(EVP_PKEY* key,
                                                     const std::vector<std::string>& names);

struct ChainFacts {
  std::int64_t not_before = 0, not_after = 0;  // of the leaf, unix seconds
  std::size_t certificates = 0;
};

// Parses a PEM chain (leaf first) and checks that the leaf holds `key`'s public key and
// names every one of `names` in its SAN. Errors: net::Errc::protocol saying what is wrong,
// net::Errc::system when OpenSSL fails.
[[nodiscard]] core::Result<ChainFacts> check_chain(std::string_view chain_pem, EVP_PKEY* key,
                                                   const std::vector<std::string>& names);

}  // namespace mtasts::net::acme
