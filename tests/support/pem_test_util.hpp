#pragma once

// PEM text of test credentials (test_pki.hpp), as CertificateSet takes them.

#include <openssl/pem.h>

#include <string>
#include <vector>

#include "mtasts/net/hosting/certificate_set.hpp"
#include "test_pki.hpp"

namespace mtasts::net::testing {

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

inline std::string cert_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  return bio_text(bio);
}

inline std::string key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio);
}

inline ServedCertificate served(const std::string& name, const Credential& credential) {
  return ServedCertificate{name, cert_pem(credential.cert.get()), key_pem(credential.key.get())};
}

// A leaf for `names` from the trusted test CA.
inline Credential leaf_for(std::vector<std::string> names) {
  return TestPki::instance().issue(LeafSpec{names.empty() ? "" : names.front(), names});
}

}  // namespace mtasts::net::testing
