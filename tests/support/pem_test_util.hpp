#pragma once

// PEM text of test credentials (test_pki.hpp), as CertificateSet takes them.

#include <string>
#include <vector>

#include "mtasts/net/hosting/certificate_set.hpp"
#include "test_pki.hpp"

namespace mtasts::net::testing {

inline ServedCertificate served(const std::string& name, const Credential& credential) {
  return ServedCertificate{name, cert_pem(credential.cert.get()), key_pem(credential.key.get())};
}

// A leaf for `names` from the trusted test CA.
inline Credential leaf_for(std::vector<std::string> names) {
  return TestPki::instance().issue(LeafSpec{names.empty() ? "" : names.front(), names});
}

}  // namespace mtasts::net::testing
