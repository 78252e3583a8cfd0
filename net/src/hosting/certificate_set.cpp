// CertificateSet: parsed credentials by name, and the TLS server context whose callbacks pick
// one per handshake.

#include "mtasts/net/hosting/certificate_set.hpp"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/guarded.hpp"
#include "runtime/tls_server.hpp"

namespace mtasts::net {
namespace detail {

// A chain and key, parsed once, shared by every name (and connection) that serves it.
struct Credential {
  X509* leaf = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509) * chain = nullptr;             // the intermediates (OpenSSL references)
  std::vector<std::shared_ptr<X509>> interned;  // keeps the shared intermediates alive

  Credential() = default;
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;
  ~Credential() {
    X509_free(leaf);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
  }
};

}  // namespace detail

namespace {

using detail::Credential;
using detail::HandshakeNote;
using CredentialPtr = std::shared_ptr<const Credential>;

// Mozilla's "intermediate" TLS 1.2 suites without DHE: forward secrecy and AEAD only. TLS 1.3
// keeps OpenSSL's default suites (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr std::string_view kAcmeTls = "acme-tls/1";  // RFC 8737 §6.2
constexpr std::string_view kHttp11 = "http/1.1";

// An index of weak references is swept of dead entries when it has doubled since the last
// sweep (and holds at least this many), so a sweep costs O(1) per put, amortised.
constexpr std::size_t kSweepFloor = 64;

struct Tables {
  std::unordered_map<std::string, CredentialPtr> certificates;  // by name
  std::unordered_map<std::string, CredentialPtr> challenges;    // by name
};

template <class T>
struct WeakIndex {
  std::unordered_map<std::string, std::weak_ptr<T>> entries;
  std::size_t sweep_at = kSweepFloor;

  void maybe_sweep() {
    if (entries.size() < sweep_at) {
      return;
    }
    for (auto it = entries.begin(); it != entries.end();) {
      it = it->second.expired() ? entries.erase(it) : std::next(it);
    }
    sweep_at = std::max(kSweepFloor, 2 * entries.size());
  }
};

// Used by writers only (under State::writer).
struct Interning {
  WeakIndex<const Credential> by_content;  // by digest of the chain and key PEM
  WeakIndex<X509> intermediates;           // by digest of the PEM block
};

core::Error invalid(std::string message) {
  return core::Error{core::Errc::invalid_value, std::move(message)};
}

std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  char text[256] = "";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof text);
  }
  ERR_clear_error();
  return text[0] != 0 ? text : "unknown OpenSSL error";
}

std::string sha256(std::string_view a, std::string_view b) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, "\0", 1);
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out, &size);
  EVP_MD_CTX_free(ctx);
  return {reinterpret_cast<const char*>(out), size};
}

constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";

// The CERTIFICATE blocks of a PEM text, each from its BEGIN line to the end of its END line;
// anything between blocks is ignored, as PEM readers do.
std::vector<std::string_view> certificate_blocks(std::string_view pem) {
  std::vector<std::string_view> blocks;
  std::size_t at = 0;
  while ((at = pem.find(kPemBegin, at)) != std::string_view::npos) {
    const std::size_t end = pem.find(kPemEnd, at);
    if (end == std::string_view::npos) {
      break;
    }
    blocks.push_back(pem.substr(at, end + kPemEnd.size() - at));
    at = end + kPemEnd.size();
  }
  return blocks;
}

X509* parse_certificate(std::string_view block) {
  BIO* bio = BIO_new_mem_buf(block.data(), static_cast<int>(block.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// An intermediate already held by another credential is shared, and not even parsed again
// (OpenSSL 3 takes a few hundred microseconds per certificate).
std::shared_ptr<X509> intern(Interning& interning, std::string_view block) {
  auto& entries = interning.intermediates.entries;
  const std::string digest = sha256(block, {});
  if (auto it = entries.find(digest); it != entries.end()) {
    if (auto known = it->second.lock()) {
      return known;
    }
  }
  X509* cert = parse_certificate(block);
  if (cert == nullptr) {
    return nullptr;
  }
  std::shared_ptr<X509> held(cert, &X509_free);
  entries[digest] = held;
  return held;
}

// The private key, decoded as the type of the leaf's public key: OpenSSL 3 tries every
// decoder when the type is not named, four times slower. Falls back to the generic reader.
EVP_PKEY* parse_private_key(std::string_view pem, const X509* leaf) {
  const EVP_PKEY* public_key = X509_get0_pubkey(leaf);
  const char* type = public_key != nullptr ? EVP_PKEY_get0_type_name(public_key) : nullptr;
  EVP_PKEY* key = nullptr;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (type != nullptr) {
    OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", nullptr, type,
                                                              EVP_PKEY_KEYPAIR, nullptr, nullptr);
    if (decoder == nullptr || OSSL_DECODER_from_bio(decoder, bio) != 1) {
      EVP_PKEY_free(key);
      key = nullptr;
    }
    OSSL_DECODER_CTX_free(decoder);
  }
  if (key == nullptr) {
    ERR_clear_error();
    (void)BIO_reset(bio);
    key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  return key;
}

core::Result<std::shared_ptr<Credential>> parse_credential(Interning& interning,
                                                           std::string_view chain_pem,
                                                           std::string_view key_pem) {
  ERR_clear_error();
  const std::vector<std::string_view> blocks = certificate_blocks(chain_pem);
  auto credential = std::make_shared<Credential>();
  credential->leaf = blocks.empty() ? nullptr : parse_certificate(blocks.front());
  if (credential->leaf == nullptr) {
    return tl::unexpected(invalid("no certificate in the chain PEM: " + openssl_reason()));
  }
  credential->chain = sk_X509_new_null();
  for (std::size_t i = 1; i < blocks.size(); ++i) {
    std::shared_ptr<X509> shared = intern(interning, blocks[i]);
    if (!shared) {
      return tl::unexpected(invalid("certificate " + std::to_string(i + 1) +
                                    " of the chain is unreadable: " + openssl_reason()));
    }
    X509_up_ref(shared.get());
    sk_X509_push(credential->chain, shared.get());
    credential->interned.push_back(std::move(shared));
  }
  credential->key = parse_private_key(key_pem, credential->leaf);
  if (credential->key == nullptr) {
    return tl::unexpected(invalid("cannot read the private key: " + openssl_reason()));
  }
  if (X509_check_private_key(credential->leaf, credential->key) != 1) {
    ERR_clear_error();
    return tl::unexpected(invalid("the private key does not match the certificate"));
  }
  return credential;
}

// RFC 6125 §6.4 as RFC 8461 §3.3 requires of senders: DNS-IDs only, never the subject CN; a
// wildcard only as the whole left-most label.
bool valid_for(const Credential& credential, const std::string& name) {
  const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  return X509_check_host(credential.leaf, name.data(), name.size(), flags, nullptr) == 1;
}

bool use_credential(SSL* ssl, const Credential& credential) {
  return SSL_use_cert_and_key(ssl, credential.leaf, credential.key, credential.chain, 1) == 1;
}

}  // namespace

struct CertificateSet::State {
  explicit State(AlpnChallengeMaker m) : maker(std::move(m)) {}
  ~State() { SSL_CTX_free(ctx); }

  core::Result<CredentialPtr> load(const std::string& name, std::string_view chain_pem,
                                   std::string_view key_pem);

  SSL_CTX* ctx = nullptr;
  AlpnChallengeMaker maker;
  core::Guarded<Tables, std::shared_mutex> tables;
  std::mutex writer;  // serialises put/remove; guards `interning`
  Interning interning;
};

namespace {

int on_servername(SSL* ssl, int* alert, void* arg) {
  auto* state = static_cast<CertificateSet::State*>(arg);
  HandshakeNote* note = detail::handshake_note(ssl);
  const char* sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (note == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (sent == nullptr || *sent == '\0') {
    note->refusal = HandshakeFailure::no_sni;
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  note->sni = core::ascii_lower(sent);
  CredentialPtr certificate;
  {
    const auto tables = state->tables.lock_shared();
    if (auto it = tables->certificates.find(note->sni); it != tables->certificates.end()) {
      certificate = it->second;
    }
    if (auto it = tables->challenges.find(note->sni); it != tables->challenges.end()) {
      note->challenge = it->second;
    }
  }
  if (certificate) {
    note->has_certificate = true;
    if (!use_credential(ssl, *certificate)) {
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
  }
  // A name with only a challenge goes on to the ALPN callback; without acme-tls/1 it ends for
  // want of a certificate, counted as an unknown name.
  note->refusal = HandshakeFailure::unknown_name;
  if (note->challenge) {
    return SSL_TLSEXT_ERR_OK;
  }
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// Finds `wanted` in an ALPN protocol list (RFC 7301 §3.1: 8-bit length-prefixed names).
const unsigned char* find_protocol(const unsigned char* in, unsigned size,
                                   std::string_view wanted) {
  unsigned i = 0;
  while (i < size) {
    const unsigned length = in[i];
    if (length == 0 || i + 1 + length > size) {
      return nullptr;  // malformed: OpenSSL checks this too
    }
    if (length == wanted.size() && std::memcmp(in + i + 1, wanted.data(), length) == 0) {
      return in + i + 1;
    }
    i += 1 + length;
  }
  return nullptr;
}

int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
            unsigned inlen, void*) {
  HandshakeNote* note = detail::handshake_note(ssl);
  if (note == nullptr) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (const unsigned char* acme = find_protocol(in, inlen, kAcmeTls)) {
    // RFC 8737 §3: only the challenge certificate, and only with acme-tls/1 selected.
    if (!note->challenge || !use_credential(ssl, *note->challenge)) {
      note->refusal = HandshakeFailure::no_challenge;
      return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
    }
    note->alpn_challenge = true;
    note->refusal.reset();
    *out = acme;
    *outlen = static_cast<unsigned char>(kAcmeTls.size());
    return SSL_TLSEXT_ERR_OK;
  }
  if (!note->has_certificate) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // refusal already says unknown_name
  }
  if (const unsigned char* http = find_protocol(in, inlen, kHttp11)) {
    *out = http;
    *outlen = static_cast<unsigned char>(kHttp11.size());
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX* make_server_context(CertificateSet::State* state) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    throw std::runtime_error("cannot create the TLS server context: " + openssl_reason());
  }
  // RFC 8461 §3.3 requires TLS 1.2 or later of the policy host.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot set the TLS ciphers: " + openssl_reason());
  }
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  // Idle keep-alive connections hold no record buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_tlsext_servername_callback(ctx, &on_servername);
  SSL_CTX_set_tlsext_servername_arg(ctx, state);
  SSL_CTX_set_alpn_select_cb(ctx, &on_alpn, state);
  return ctx;
}

}  // namespace

core::Result<CredentialPtr> CertificateSet::State::load(const std::string& name,
                                                        std::string_view chain_pem,
                                                        std::string_view key_pem) {
  const std::string content = sha256(chain_pem, key_pem);
  std::shared_ptr<const Credential> credential;
  auto& index = interning.by_content.entries;
  if (auto it = index.find(content); it != index.end()) {
    credential = it->second.lock();
  }
  if (!credential) {
    auto parsed = parse_credential(interning, chain_pem, key_pem);
    if (!parsed) {
      return tl::unexpected(parsed.error());
    }
    credential = std::move(*parsed);
    index[content] = credential;
  }
  if (!valid_for(*credential, name)) {
    return tl::unexpected(invalid("the certificate is not valid for " + name +
                                  " (no matching subjectAltName DNS name)"));
  }
  return credential;
}

CertificateSet::CertificateSet(AlpnChallengeMaker challenge_maker)
    : state_(std::make_unique<State>(std::move(challenge_maker))) {
  state_->ctx = make_server_context(state_.get());
}

CertificateSet::~CertificateSet() = default;

core::Result<void> CertificateSet::put(const ServedCertificate& certificate) {
  auto name = core::normalize_domain(certificate.name);
  if (!name) {
    return tl::unexpected(
        invalid("invalid name " + certificate.name + ": " + name.error().message));
  }
  std::lock_guard writer(state_->writer);
  auto credential = state_->load(*name, certificate.chain_pem, certificate.key_pem);
  if (!credential) {
    return tl::unexpected(credential.error());
  }
  CredentialPtr old;
  {
    auto tables = state_->tables.lock();
    old = std::exchange(tables->certificates[*name], std::move(*credential));
  }
  old.reset();  // outside the table lock: handshakes never wait for OpenSSL frees
  state_->interning.by_content.maybe_sweep();
  state_->interning.intermediates.maybe_sweep();
  return {};
}

void CertificateSet::remove(std::string_view name) {
  auto normal = core::normalize_domain(name);
  if (!normal) {
    return;
  }
  CredentialPtr old;
  auto tables = state_->tables.lock();
  if (auto it = tables->certificates.find(*normal); it != tables->certificates.end()) {
    old = std::move(it->second);
    tables->certificates.erase(it);
  }
}

bool CertificateSet::has(std::string_view name) const {
  auto normal = core::normalize_domain(name);
  return normal && state_->tables.lock_shared()->certificates.count(*normal) > 0;
}

std::size_t CertificateSet::size() const {
  return state_->tables.lock_shared()->certificates.size();
}

core::Result<void> CertificateSet::put_alpn_challenge(std::string_view name,
                                                      std::string_view key_authorization) {
  if (!state_->maker) {
    return tl::unexpected(invalid("no TLS-ALPN-01 challenge certificate maker is configured"));
  }
  auto made = state_->maker(name, key_authorization);
  if (!made) {
    return tl::unexpected(made.error());
  }
  return put_alpn_challenge_certificate(name, made->first, made->second);
}

core::Result<void> CertificateSet::put_alpn_challenge_certificate(std::string_view name,
                                                                  std::string_view cert_pem,
                                                                  std::string_view key_pem) {
  auto normal = core::normalize_domain(name);
  if (!normal) {
    return tl::unexpected(
        invalid("invalid name " + std::string(name) + ": " + normal.error().message));
  }
  CredentialPtr old;
  std::lock_guard writer(state_->writer);
  auto credential = state_->load(*normal, cert_pem, key_pem);
  if (!credential) {
    return tl::unexpected(credential.error());
  }
  auto tables = state_->tables.lock();
  old = std::exchange(tables->challenges[*normal], std::move(*credential));
  return {};
}

void CertificateSet::remove_alpn_challenge(std::string_view name) {
  auto normal = core::normalize_domain(name);
  if (!normal) {
    return;
  }
  CredentialPtr old;
  auto tables = state_->tables.lock();
  if (auto it = tables->challenges.find(*normal); it != tables->challenges.end()) {
    old = std::move(it->second);
    tables->challenges.erase(it);
  }
}

bool CertificateSet::has_alpn_challenge(std::string_view name) const {
  auto normal = core::normalize_domain(name);
  return normal && state_->tables.lock_shared()->challenges.count(*normal) > 0;
}

ssl_ctx_st* CertificateSet::native_context() const {
  return state_->ctx;
}

}  // namespace mtasts::net
