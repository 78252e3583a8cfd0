#include "acme/acme_crypto.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace acme {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using OctetPtr =
    std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr std::size_t kCoordinateSize = 32;  // P-256
constexpr std::size_t kMaxChainCertificates = 10;
constexpr int kMaxCommonName = 64;  // RFC 5280 ub-common-name

tl::unexpected<core::Error> tls_failure(const std::string& what,
                                        core::ErrorCode errc = Errc::system) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::array<char, 256> text{};
  if (code != 0) {
    ERR_error_string_n(code, text.data(), text.size());
  }
  return core::fail(errc, what + (code != 0 ? std::string(": ") + text.data() : std::string()));
}

// An encrypted key would make OpenSSL prompt on the terminal: refuse to give a password.
int no_password(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return 0;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

BioPtr memory_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::optional<std::string> padded(const BIGNUM* number) {
  std::string out(kCoordinateSize, '\0');
  if (BN_bn2binpad(number, reinterpret_cast<unsigned char*>(out.data()),
                   static_cast<int>(out.size())) != static_cast<int>(kCoordinateSize)) {
    return std::nullopt;
  }
  return out;
}

std::int64_t unix_time(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    return 0;
  }
  return static_cast<std::int64_t>(timegm(&parts));
}

// SAN dNSName entries for `names`; null when OpenSSL runs out of memory.
NamesPtr dns_general_names(const std::vector<std::string>& names) {
  NamesPtr general(GENERAL_NAMES_new());
  if (!general) {
    return general;
  }
  for (const std::string& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (entry == nullptr || text == nullptr ||
        ASN1_STRING_set(text, name.data(), static_cast<int>(name.size())) != 1) {
      GENERAL_NAME_free(entry);
      ASN1_IA5STRING_free(text);
      return NamesPtr();
    }
    GENERAL_NAME_set0_value(entry, GEN_DNS, text);
    if (sk_GENERAL_NAME_push(general.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return NamesPtr();
    }
  }
  return general;
}

bool set_common_name(X509_NAME* subject, const std::string& name) {
  if (name.size() > static_cast<std::size_t>(kMaxCommonName)) {
    return true;  // the CN is optional; a long name lives in the SAN only
  }
  return X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                                    0) == 1;
}

core::Result<std::string> certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return tls_failure("cannot write the certificate");
  }
  return bio_text(bio.get());
}

// RFC 8737 §3: the critical acmeIdentifier extension; its extnValue is the DER of an OCTET
// STRING holding SHA-256(key authorization).
core::Result<void> add_acme_identifier(X509* cert, std::string_view key_authorization) {
  const std::string digest = sha256(key_authorization);
  OctetPtr inner(ASN1_OCTET_STRING_new());
  OctetPtr value(ASN1_OCTET_STRING_new());
  const ObjectPtr oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  if (!inner || !value || !oid ||
      ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(digest.data()),
                            static_cast<int>(digest.size())) != 1) {
    return tls_failure("cannot build the acmeIdentifier extension");
  }
  const int size = i2d_ASN1_OCTET_STRING(inner.get(), nullptr);
  std::string der(static_cast<std::size_t>(std::max(size, 0)), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  if (size <= 0 || i2d_ASN1_OCTET_STRING(inner.get(), &cursor) != size ||
      ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>(der.data()),
                            size) != 1) {
    return tls_failure("cannot encode the acmeIdentifier extension");
  }
  const ExtPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return tls_failure("cannot add the acmeIdentifier extension");
  }
  return {};
}

}  // namespace

core::Result<KeyPtr> new_p256_key() {
  PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(context.get(), "P-256") != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    return tls_failure("cannot generate a P-256 key");
  }
  return KeyPtr(key, EVP_PKEY_free);
}

core::Result<KeyPtr> load_p256_key(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr) : nullptr;
  if (raw == nullptr) {
    return tls_failure("the ACME key is not a PEM private key", core::Errc::invalid_value);
  }
  KeyPtr key(raw, EVP_PKEY_free);
  std::array<char, 64> group{};
  std::size_t length = 0;
  if (EVP_PKEY_is_a(raw, "EC") != 1 ||
      EVP_PKEY_get_group_name(raw, group.data(), group.size(), &length) != 1 ||
      (std::string_view(group.data(), length) != "prime256v1" &&
       std::string_view(group.data(), length) != "P-256")) {
    ERR_clear_error();
    return core::fail(core::Errc::invalid_value, "the ACME key is not a P-256 (ES256) key");
  }
  return key;
}

core::Result<std::string> private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return tls_failure("cannot write the private key");
  }
  return bio_text(bio.get());
}

core::Result<core::EcPublicKey> ec_public_key(EVP_PKEY* key) {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  const bool got = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                   EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
  const BnPtr x_owner(x);
  const BnPtr y_owner(y);
  if (!got) {
    return tls_failure("cannot read the public key");
  }
  auto x_bytes = padded(x);
  auto y_bytes = padded(y);
  if (!x_bytes || !y_bytes) {
    return core::fail(core::Errc::invalid_value, "the public key is not a P-256 point");
  }
  return core::EcPublicKey{std::move(*x_bytes), std::move(*y_bytes)};
}

core::Result<std::string> es256_sign(EVP_PKEY* key, std::string_view data) {
  MdCtxPtr context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return tls_failure("cannot sign");
  }
  std::string der(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(der.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return tls_failure("cannot sign");
  }
  // RFC 7518 §3.4: the JWS signature is the two integers, each padded to 32 bytes.
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const SigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(size)));
  if (!signature) {
    return tls_failure("cannot decode the ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  auto r_bytes = padded(r);
  auto s_bytes = padded(s);
  if (!r_bytes || !s_bytes) {
    return core::fail(core::Errc::invalid_value, "the ECDSA signature is not a P-256 one");
  }
  return *r_bytes + *s_bytes;
}

std::string sha256(std::string_view data) {
  std::string digest(EVP_MAX_MD_SIZE, '\0');
  unsigned size = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
             EVP_sha256(), nullptr);
  digest.resize(size);
  return digest;
}

std::string key_authorization(const core::EcPublicKey& account_key, std::string_view token) {
  return std::string(token) + "." +
         core::base64url_encode(sha256(core::jwk_thumbprint_input(account_key)));
}

core::Result<std::string> make_csr_der(EVP_PKEY* key, const std::vector<std::string>& names) {
  ReqPtr request(X509_REQ_new());
  NamesPtr general = dns_general_names(names);
  if (!request || !general || names.empty() || X509_REQ_set_version(request.get(), 0) != 1 ||
      !set_common_name(X509_REQ_get_subject_name(request.get()), names.front())) {
    return tls_failure("cannot build the certificate request");
  }
  STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
  const bool added = extensions != nullptr &&
                     X509V3_add1_i2d(&extensions, NID_subject_alt_name, general.get(), 0,
                                     X509V3_ADD_DEFAULT) == 1 &&
                     X509_REQ_add_extensions(request.get(), extensions) == 1;
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  if (!added || X509_REQ_set_pubkey(request.get(), key) != 1 ||
      X509_REQ_sign(request.get(), key, EVP_sha256()) <= 0) {
    return tls_failure("cannot sign the certificate request");
  }
  const int size = i2d_X509_REQ(request.get(), nullptr);
  if (size <= 0) {
    return tls_failure("cannot encode the certificate request");
  }
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(request.get(), &cursor);
  return der;
}

core::Result<ChainFacts> check_chain(std::string_view chain_pem, EVP_PKEY* key,
                                     const std::vector<std::string>& names) {
  BioPtr bio = memory_bio(chain_pem);
  std::vector<X509Ptr> chain;
  while (bio && chain.size() <= kMaxChainCertificates) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr);
    if (cert == nullptr) {
      break;
    }
    chain.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the PEM text reads as an error
  if (chain.empty()) {
    return core::fail(Errc::protocol, "the CA sent no PEM certificate");
  }
  if (chain.size() > kMaxChainCertificates) {
    return core::fail(Errc::protocol, "the CA sent more than " +
                                          std::to_string(kMaxChainCertificates) + " certificates");
  }
  X509* leaf = chain.front().get();
  if (EVP_PKEY_eq(X509_get0_pubkey(leaf), key) != 1) {
    return core::fail(Errc::protocol,
                      "the certificate the CA sent is not for the key of the request");
  }
  for (const std::string& name : names) {
    if (X509_check_host(leaf, name.data(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                        nullptr) != 1) {
      return core::fail(Errc::protocol, "the certificate the CA sent does not name " + name);
    }
  }
  return ChainFacts{unix_time(X509_get0_notBefore(leaf)), unix_time(X509_get0_notAfter(leaf)),
                    chain.size()};
}

}  // namespace acme

core::Result<std::string> generate_account_key() {
  return acme::new_p256_key().and_then(
      [](const acme::KeyPtr& key) { return acme::private_key_pem(key.get()); });
}

core::Result<std::string> acme_key_authorization(std::string_view key_pem, std::string_view token) {
  auto key = acme::load_p256_key(key_pem);
  if (!key) {
    return tl::unexpected(key.error());
  }
  return acme::ec_public_key(key->get()).transform([&](const core::EcPublicKey& public_key) {
    return acme::key_authorization(public_key, token);
  });
}

core::Result<std::pair<std::string, std::string>> make_tls_alpn_challenge_certificate(
    std::string_view name, std::string_view key_authorization) {
  using namespace acme;
  if (!core::is_ldh_domain(name)) {
    return core::fail(core::Errc::invalid_value,
                      "\"" + std::string(name) + "\" is not a DNS name in ASCII");
  }
  auto key = new_p256_key();
  if (!key) {
    return tl::unexpected(key.error());
  }
  const std::string host(name);
  X509Ptr cert(X509_new());
  NamesPtr general = dns_general_names({host});
  std::array<unsigned char, 16> serial{};
  const BnPtr serial_number(RAND_bytes(serial.data(), serial.size()) == 1
                                ? BN_bin2bn(serial.data(), serial.size(), nullptr)
                                : nullptr);
  if (!cert || !general || !serial_number || X509_set_version(cert.get(), 2) != 1 ||
      BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 86400) == nullptr ||
      !set_common_name(X509_get_subject_name(cert.get()), host) ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1 ||
      X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, general.get(), 0, X509V3_ADD_DEFAULT) !=
          1) {
    return tls_failure("cannot build the TLS-ALPN-01 certificate");
  }
  if (auto added = add_acme_identifier(cert.get(), key_authorization); !added) {
    return tl::unexpected(added.error());
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) {
    return tls_failure("cannot sign the TLS-ALPN-01 certificate");
  }
  auto cert_pem = certificate_pem(cert.get());
  auto key_pem = private_key_pem(key->get());
  if (!cert_pem) {
    return tl::unexpected(cert_pem.error());
  }
  if (!key_pem) {
    return tl::unexpected(key_pem.error());
  }
  return std::pair{std::move(*cert_pem), std::move(*key_pem)};
}

}  // namespace mtasts::net
