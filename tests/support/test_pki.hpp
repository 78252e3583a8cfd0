#pragma once

// The test PKI, made at test time with the OpenSSL API; every certificate the tests make
// comes from here: a trusted CA (its PEM written to a temp file given to clients as their CA
// file), an untrusted second CA, and leaf certificates with 100-year validity unless a test
// asks for an expired one.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace mtasts::net::testing {

struct Credential {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

struct LeafSpec {
  std::string common_name;  // empty: no CN in the subject
  // subjectAltName DNS-IDs ("IP:<address>": an IP-ID instead); empty: no SAN extension
  std::vector<std::string> dns_names;
  long not_before_days = -1;  // relative to now
  long not_after_days = 36500;
};

class TestPki {
 public:
  // Made once per test binary.
  static const TestPki& instance();

  // A leaf signed by the trusted CA (or, with `trusted` false, by the untrusted one).
  [[nodiscard]] Credential issue(const LeafSpec& spec, bool trusted = true) const;
  // A leaf for `public_key` (e.g. a CSR's) signed by the trusted CA; the result's `key` is
  // `public_key`.
  [[nodiscard]] Credential issue_for(std::shared_ptr<EVP_PKEY> public_key,
                                     const LeafSpec& spec) const;
  // A self-signed leaf.
  [[nodiscard]] Credential self_signed(const LeafSpec& spec) const;
  // A new P-256 key pair.
  [[nodiscard]] static std::shared_ptr<EVP_PKEY> new_key();

  [[nodiscard]] const Credential& ca() const { return ca_; }

  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }

  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

 private:
  TestPki();
  ~TestPki();
  Credential ca_;
  Credential other_ca_;
  std::string ca_file_;
};

// PEM text of a certificate, and of a private key (unencrypted PKCS #8).
[[nodiscard]] std::string cert_pem(X509* cert);
[[nodiscard]] std::string key_pem(EVP_PKEY* key);

}  // namespace mtasts::net::testing
