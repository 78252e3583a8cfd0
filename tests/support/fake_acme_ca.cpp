#include "fake_acme_ca.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "mtasts/core/acme/acme_messages.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

namespace mtasts::net::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using boost::system::error_code;

std::string b64(std::string_view raw) {
  return core::base64url_encode(raw);
}

std::string unb64(std::string_view text) {
  return core::base64url_decode(text).value_or("");
}

std::string token_for(const std::string& name) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest.data());
  return b64(std::string(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// The P-256 public key of a JWK, or null.
std::shared_ptr<EVP_PKEY> key_from_jwk(const json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "EC" || jwk.value("crv", "") != "P-256") {
    return nullptr;
  }
  const std::string point = "\x04" + unb64(jwk.value("x", "")) + unb64(jwk.value("y", ""));
  if (point.size() != 65) {
    return nullptr;
  }
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(context) != 1 ||
      EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  return {key, EVP_PKEY_free};
}

// RFC 7518 §3.4: r || s, turned back into the DER form OpenSSL verifies.
bool verify_es256(EVP_PKEY* key, const std::string& input, const std::string& signature) {
  if (signature.size() != 64) {
    return false;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context, der, static_cast<std::size_t>(size),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(context);
  OPENSSL_free(der);
  return ok;
}

std::vector<std::string> csr_names(X509_REQ* request) {
  std::vector<std::string> names;
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request);
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) {
      continue;
    }
    auto* general = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension));
    for (int j = 0; j < sk_GENERAL_NAME_num(general); ++j) {
      const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, j);
      if (entry->type == GEN_DNS) {
        names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(entry->d.dNSName)),
                           static_cast<std::size_t>(ASN1_STRING_length(entry->d.dNSName)));
      }
    }
    GENERAL_NAMES_free(general);
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  return names;
}

// The chain for `key` naming `names`: a leaf from the test PKI's trusted CA, then that CA.
std::string issue_chain(std::shared_ptr<EVP_PKEY> key, const std::vector<std::string>& names) {
  const TestPki& pki = TestPki::instance();
  const Credential leaf = pki.issue_for(std::move(key), LeafSpec{"", names, -1, 90});
  return cert_pem(leaf.cert.get()) + cert_pem(pki.ca().cert.get());
}

}  // namespace

FakeAcmeCa::FakeAcmeCa(asio::io_context& io, FakeAcmeScript script)
    : context_(tls_server_context(TestPki::instance().issue({"acme.test", {"acme.test"}}))),
      acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      script_(std::move(script)) {
  accept_each(acceptor_, [this](tcp::socket s) { return serve(std::move(s)); });
}

FakeAcmeCa::~FakeAcmeCa() = default;

std::string FakeAcmeCa::url(const std::string& path) const {
  return "https://acme.test:" + std::to_string(port()) + path;
}

std::string FakeAcmeCa::directory_url() const {
  return url("/dir");
}

std::string FakeAcmeCa::nonce() {
  std::string value = "nonce" + std::to_string(++next_nonce_);
  nonces_.insert(value);
  return value;
}

asio::awaitable<void> FakeAcmeCa::serve(tcp::socket socket) {
  ssl::stream<tcp::socket> stream(std::move(socket), context_);
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> request;
  co_await http::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  const Reply reply = handle(std::string(request.method_string()), std::string(request.target()),
                             request.body(), std::string(request[http::field::accept]));
  http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
  response.set(http::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) {
    response.set(name, value);
  }
  response.body() = reply.body;
  response.keep_alive(false);
  response.prepare_payload();
  if (request.method() == http::verb::head) {
    response.body().clear();
  }
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

FakeAcmeCa::Reply FakeAcmeCa::problem(unsigned status, const std::string& type,
                                      const std::string& detail) {
  Reply reply{status,
              "application/problem+json",
              json{{"type", "urn:ietf:params:acme:error:" + type}, {"detail", detail}}.dump(),
              {{"Replay-Nonce", nonce()}}};
  return reply;
}

FakeAcmeCa::Reply FakeAcmeCa::handle(const std::string& method, const std::string& target,
                                     const std::string& body, const std::string& accept) {
  if (method == "GET" && target == "/dir") {
    if (script_.directory_body) {
      return {200, "application/json", *script_.directory_body, {}};
    }
    return {200,
            "application/json",
            json{{"newNonce", url("/nonce")},
                 {"newAccount", url("/new-account")},
                 {"newOrder", url("/new-order")},
                 {"meta", {{"termsOfService", url("/terms")}}}}
                .dump(),
            {}};
  }
  if (method == "HEAD" && target == "/nonce") {
    Reply reply{200, "application/json", "", {}};
    if (script_.nonce_header) {
      reply.headers.emplace_back("Replay-Nonce", nonce());
    }
    return reply;
  }
  if (method != "POST") {
    return {404, "text/plain", "not found", {}};
  }
  ++log_.posts;
  Verified verified;
  if (auto refused = verify(target, body, verified)) {
    return *refused;
  }
  if (target.rfind("/cert/", 0) == 0) {
    log_.last_accept = accept;
  }
  Reply reply = handle_post(target, verified);
  reply.headers.emplace_back("Replay-Nonce", nonce());
  return reply;
}

std::optional<FakeAcmeCa::Reply> FakeAcmeCa::verify(const std::string& target,
                                                    const std::string& body, Verified& out) {
  const json jws = json::parse(body, nullptr, false);
  const auto reject = [&](const std::string& why) {
    ++log_.jws_rejected;
    log_.jws_errors.push_back(why);
    return problem(400, "malformed", why);
  };
  if (!jws.is_object() || !jws.value("protected", json()).is_string() ||
      !jws.value("payload", json()).is_string() || !jws.value("signature", json()).is_string()) {
    return reject("not a flattened JWS");
  }
  const std::string protected_b64 = jws["protected"];
  const std::string payload_b64 = jws["payload"];
  const json header = json::parse(unb64(protected_b64), nullptr, false);
  if (!header.is_object() || header.value("alg", "") != "ES256") {
    return reject("alg is not ES256");
  }
  if (nonces_.erase(header.value("nonce", "")) == 0) {
    return reject("nonce unknown or reused");
  }
  if (script_.always_bad_nonce || log_.bad_nonce_answers < script_.bad_nonces) {
    ++log_.bad_nonce_answers;
    return problem(400, "badNonce", "JWS has an invalid anti-replay nonce");
  }
  if (header.value("url", "") != url(target)) {
    return reject("url " + header.value("url", "") + " is not " + url(target));
  }
  const bool has_jwk = header.contains("jwk");
  const bool has_kid = header.contains("kid");
  if (has_jwk == has_kid || has_jwk != (target == "/new-account")) {
    return reject("jwk/kid misuse for " + target);
  }
  std::shared_ptr<EVP_PKEY> key;
  if (has_jwk) {
    key = key_from_jwk(header["jwk"]);
    const json& jwk = header["jwk"];
    thumbprint_input_ = json{
        {"crv", jwk.value("crv", "")},
        {"kty", jwk.value("kty", "")},
        {"x", jwk.value("x", "")},
        {"y", jwk.value(
                  "y", "")}}.dump();
  } else {
    const auto found = accounts_.find(header.value("kid", ""));
    if (found == accounts_.end()) {
      return problem(400, "accountDoesNotExist", "no such account");
    }
    key = found->second;
    out.account = found->first;
  }
  if (!key || !verify_es256(key.get(), protected_b64 + "." + payload_b64,
                            unb64(jws["signature"].get<std::string>()))) {
    return reject("signature does not verify");
  }
  out.payload = unb64(payload_b64);
  if (has_jwk) {
    for (const auto& [kid, known] : accounts_) {
      if (EVP_PKEY_eq(known.get(), key.get()) == 1) {
        out.account = kid;
      }
    }
    if (out.account.empty()) {
      out.account = url("/acct/" + std::to_string(accounts_.size() + 1));
      accounts_[out.account] = key;
      out.created = true;
    }
  }
  return std::nullopt;
}

std::string FakeAcmeCa::order_json() const {
  json identifiers = json::array();
  json authorizations = json::array();
  bool all_valid = !order_names_.empty();
  bool any_invalid = false;
  for (const auto& name : order_names_) {
    identifiers.push_back({{"type", "dns"}, {"value", name}});
    authorizations.push_back(url("/authz/" + name));
    const bool answered = answered_.count(name) > 0;
    all_valid = all_valid && answered && script_.authz == AuthzOutcome::valid;
    any_invalid = any_invalid || (answered && script_.authz == AuthzOutcome::invalid);
  }
  const char* status = finalized_    ? "valid"
                       : any_invalid ? "invalid"
                       : all_valid   ? "ready"
                                     : "pending";
  json order{{"status", status},
             {"identifiers", identifiers},
             {"authorizations", authorizations},
             {"finalize", url("/finalize/1")}};
  if (finalized_) {
    order["certificate"] = url("/cert/1");
  }
  return order.dump();
}

std::string FakeAcmeCa::authz_json(const std::string& name) const {
  const bool answered = answered_.count(name) > 0;
  std::string status = "pending";
  if (answered && script_.authz == AuthzOutcome::valid) {
    status = "valid";
  } else if (answered && script_.authz == AuthzOutcome::invalid) {
    status = "invalid";
  }
  json challenges = json::array();
  for (const auto& type : script_.challenge_types) {
    json challenge{{"type", type},
                   {"url", url("/chal/" + name)},
                   {"status", status == "pending" ? (answered ? "processing" : "pending") : status},
                   {"token", token_for(name)}};
    if (status == "invalid") {
      challenge["error"] = {{"type", "urn:ietf:params:acme:error:incorrectResponse"},
                            {"detail", "the key authorization did not match"},
                            {"status", 403}};
    }
    challenges.push_back(challenge);
  }
  return json{{"status", status},
              {"identifier", {{"type", "dns"}, {"value", name}}},
              {"challenges", challenges}}
      .dump();
}

FakeAcmeCa::Reply FakeAcmeCa::handle_post(const std::string& target, const Verified& request) {
  if (target == "/new-account") {
    if (script_.new_account_problem) {
      Reply reply{429, "application/problem+json", *script_.new_account_problem, {}};
      if (!script_.new_account_retry_after.empty()) {
        reply.headers.emplace_back("Retry-After", script_.new_account_retry_after);
      }
      return reply;
    }
    ++log_.new_accounts;
    return {request.created ? 201U : 200U,
            "application/json",
            json{{"status", "valid"}}.dump(),
            {{"Location", request.account}}};
  }
  if (target.rfind("/acct/", 0) == 0) {
    ++log_.account_lookups;
    return {200, "application/json", json{{"status", "valid"}}.dump(), {}};
  }
  if (target == "/new-order") {
    log_.order_accounts.push_back(request.account);
    if (script_.new_order_problem) {
      return {403, "application/problem+json", *script_.new_order_problem, {}};
    }
    const json payload = json::parse(request.payload, nullptr, false);
    order_names_.clear();
    answered_.clear();
    finalized_ = false;
    for (const auto& identifier : payload.value("identifiers", json::array())) {
      order_names_.push_back(identifier.value("value", ""));
    }
    for (const auto& name : order_names_) {
      log_.tokens[name] = token_for(name);
    }
    return {201, "application/json", order_json(), {{"Location", url("/order/1")}}};
  }
  if (target.rfind("/authz/", 0) == 0) {
    ++log_.authz_polls;
    return {200, "application/json", authz_json(target.substr(7)), {}};
  }
  if (target.rfind("/chal/", 0) == 0) {
    ++log_.challenge_responses;
    answered_.insert(target.substr(6));
    return {200,
            "application/json",
            json{{"type", "http-01"},
                 {"url", url(target)},
                 {"status", "processing"},
                 {"token", token_for(target.substr(6))}}
                .dump(),
            {}};
  }
  if (target == "/order/1") {
    ++log_.order_polls;
    Reply reply{200, "application/json", order_json(), {}};
    if (!script_.order_retry_after.empty()) {
      reply.headers.emplace_back("Retry-After", script_.order_retry_after);
    }
    return reply;
  }
  if (target == "/finalize/1") {
    return finalize(request.payload);
  }
  if (target == "/cert/1") {
    return {200, "application/pem-certificate-chain", certificate_pem_, {}};
  }
  return problem(404, "malformed", "no such resource " + target);
}

FakeAcmeCa::Reply FakeAcmeCa::finalize(const std::string& payload) {
  const json body = json::parse(payload, nullptr, false);
  const std::string der = unb64(body.is_object() ? body.value("csr", "") : "");
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  X509_REQ* request = d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size()));
  if (request == nullptr || X509_REQ_verify(request, X509_REQ_get0_pubkey(request)) != 1) {
    X509_REQ_free(request);
    return problem(400, "badCSR", "the CSR does not parse or verify");
  }
  log_.csr_names = csr_names(request);
  std::shared_ptr<EVP_PKEY> key;
  if (script_.wrong_certificate_key) {
    key = TestPki::new_key();
  } else {
    EVP_PKEY* requested = X509_REQ_get0_pubkey(request);
    EVP_PKEY_up_ref(requested);
    key.reset(requested, &EVP_PKEY_free);
  }
  certificate_pem_ = issue_chain(std::move(key), log_.csr_names);
  X509_REQ_free(request);
  finalized_ = true;
  json order = json::parse(order_json());
  order["status"] = "processing";  // the client must poll until valid
  order.erase("certificate");
  return {200, "application/json", order.dump(), {}};
}

}  // namespace mtasts::net::testing
