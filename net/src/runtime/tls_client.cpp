#include "runtime/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <fstream>
#include <memory>

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown TLS library error";
  }
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string time_text(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    return {};
  }
  std::array<char, 32> text{};
  const std::size_t size = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(text.data(), size);
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> names;
  auto* general =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) {
    return names;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type == GEN_DNS) {
      const ASN1_STRING* value = entry->d.dNSName;
      const auto* bytes = reinterpret_cast<const char*>(ASN1_STRING_get0_data(value));
      names.emplace_back(bytes, static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

bool is_ip_literal(const std::string& host) {
  std::array<unsigned char, 16> buffer{};
  return ::inet_pton(AF_INET, host.c_str(), buffer.data()) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer.data()) == 1;
}

}  // namespace

core::Result<void> configure_client_context(SSL_CTX* ctx,
                                            const std::optional<std::string>& ca_file) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // A connection waits on the peer most of its life: its 17 KiB read and write buffers are
  // freed while empty, so a burst of fetches (a cold start, the preload list) holds less.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (ca_file) {
    if (!std::ifstream(*ca_file)) {
      return core::fail(Errc::io, "cannot read CA file " + *ca_file);
    }
    if (SSL_CTX_load_verify_locations(ctx, ca_file->c_str(), nullptr) != 1) {
      return core::fail(Errc::io,
                        "CA file " + *ca_file + " holds no usable certificate: " + openssl_error());
    }
    return {};
  }
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return core::fail(Errc::io, "cannot load the system trust store: " + openssl_error());
  }
  return {};
}

core::Result<void> prepare_client_ssl(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  // RFC 8461 §3.3: DNS-IDs only, wildcard only as the complete left-most label (C23, 029).
  X509_VERIFY_PARAM_set_hostflags(
      param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip_literal(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      return core::fail(Errc::system,
                        "TLS library refused address " + host + ": " + openssl_error());
    }
  } else if (host.empty() || SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 ||
             X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) != 1) {
    return core::fail(Errc::system,
                      "TLS library refused host name " + host + ": " + openssl_error());
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  return {};
}

std::optional<CertificateInfo> peer_certificate_info(const SSL* ssl) {
  // When validation fails OpenSSL keeps the chain but not the verified peer; on a client
  // the chain starts with the leaf.
  X509* leaf = nullptr;
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl); chain && sk_X509_num(chain) > 0) {
    leaf = sk_X509_value(chain, 0);
  } else {
    leaf = SSL_get0_peer_certificate(ssl);
  }
  if (leaf == nullptr) {
    return std::nullopt;
  }
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(leaf));
  info.issuer = name_text(X509_get_issuer_name(leaf));
  info.dns_names = dns_names(leaf);
  info.not_before = time_text(X509_get0_notBefore(leaf));
  info.not_after = time_text(X509_get0_notAfter(leaf));
  return info;
}

std::string verify_error_text(long verify_result) {
  return X509_verify_cert_error_string(verify_result);
}

}  // namespace mtasts::net
