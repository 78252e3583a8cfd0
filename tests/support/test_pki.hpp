#pragma once

// A test PKI made at test time with the OpenSSL API: a trusted CA (its PEM written to a temp
// file given to the fetcher as its CA file), an untrusted second CA, and leaf certificates
// with 100-year validity unless a test asks for an expired one.

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
  // A self-signed leaf.
  [[nodiscard]] Credential self_signed(const LeafSpec& spec) const;

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

}  // namespace mtasts::net::testing
