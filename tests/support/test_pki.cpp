#include "test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace mtasts::net::testing {
namespace {

constexpr long kDay = 86400;

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    throw std::runtime_error("bad extension " + value);
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::shared_ptr<X509> make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer_cert,
                                long from_days, long to_days) {
  static long serial = 1;
  std::shared_ptr<X509> cert(X509_new(), &X509_free);
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), from_days * kDay);
  X509_gmtime_adj(X509_getm_notAfter(x), to_days * kDay);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mtasts tests"), -1, -1, 0);
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(x, issuer_cert != nullptr ? X509_get_subject_name(issuer_cert) : name);
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

Credential make_ca(const std::string& cn) {
  Credential ca{TestPki::new_key(), nullptr};
  ca.cert = make_cert(ca.key.get(), cn, nullptr, -1, 36500);
  X509* x = ca.cert.get();
  add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(x, x, NID_subject_key_identifier, "hash");
  X509_sign(x, ca.key.get(), EVP_sha256());
  return ca;
}

Credential make_leaf(const LeafSpec& spec, const Credential* issuer,
                     std::shared_ptr<EVP_PKEY> key = TestPki::new_key()) {
  Credential leaf{std::move(key), nullptr};
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : nullptr;
  leaf.cert = make_cert(leaf.key.get(), spec.common_name, issuer_cert, spec.not_before_days,
                        spec.not_after_days);
  X509* x = leaf.cert.get();
  X509* signer = issuer_cert != nullptr ? issuer_cert : x;
  add_ext(x, signer, NID_basic_constraints, "CA:FALSE");
  add_ext(x, signer, NID_ext_key_usage, "serverAuth");
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const std::string& name : spec.dns_names) {
      const bool ip = name.rfind("IP:", 0) == 0;
      san += (san.empty() ? "" : ",") + (ip ? name : "DNS:" + name);
    }
    add_ext(x, signer, NID_subject_alt_name, san);
  }
  X509_sign(x, issuer != nullptr ? issuer->key.get() : leaf.key.get(), EVP_sha256());
  return leaf;
}

}  // namespace

const TestPki& TestPki::instance() {
  static const TestPki pki;
  return pki;
}

TestPki::TestPki() : ca_(make_ca("mtasts test CA")), other_ca_(make_ca("untrusted test CA")) {
  ca_file_ = (std::filesystem::temp_directory_path() /
              ("mtasts-net-test-ca-" + std::to_string(::getpid()) + ".pem"))
                 .string();
  FILE* file = std::fopen(ca_file_.c_str(), "w");
  if (file == nullptr || PEM_write_X509(file, ca_.cert.get()) != 1) {
    throw std::runtime_error("cannot write " + ca_file_);
  }
  std::fclose(file);
}

TestPki::~TestPki() {
  std::remove(ca_file_.c_str());
}

Credential TestPki::issue(const LeafSpec& spec, bool trusted) const {
  return make_leaf(spec, trusted ? &ca_ : &other_ca_);
}

Credential TestPki::issue_for(std::shared_ptr<EVP_PKEY> public_key, const LeafSpec& spec) const {
  return make_leaf(spec, &ca_, std::move(public_key));
}

Credential TestPki::self_signed(const LeafSpec& spec) const {
  return make_leaf(spec, nullptr);
}

std::shared_ptr<EVP_PKEY> TestPki::new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    throw std::runtime_error("EVP_EC_gen failed");
  }
  return {key, &EVP_PKEY_free};
}

std::string cert_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  return bio_text(bio);
}

std::string key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio);
}

}  // namespace mtasts::net::testing
