// The ACME client's directory, nonces, signed requests and account (RFC 8555 §6, §7.1-7.3).

#include <chrono>

#include "acme/acme_client_impl.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {

namespace asio = boost::asio;

std::string_view challenge_type_name(ChallengeType type) {
  switch (type) {
    case ChallengeType::http01:
      return "http-01";
    case ChallengeType::tls_alpn01:
      return "tls-alpn-01";
  }
  return "unknown";
}

std::string_view acme_errc_name(AcmeErrc code) {
  switch (code) {
    case AcmeErrc::transport:
      return "transport";
    case AcmeErrc::timeout:
      return "timeout";
    case AcmeErrc::problem:
      return "problem";
    case AcmeErrc::protocol:
      return "protocol";
    case AcmeErrc::invalid:
      return "invalid";
    case AcmeErrc::publisher:
      return "publisher";
    case AcmeErrc::unsupported:
      return "unsupported";
    case AcmeErrc::local:
      return "local";
  }
  return "unknown";
}

Errc net_errc(AcmeErrc code) {
  switch (code) {
    case AcmeErrc::transport:
      return Errc::connect;
    case AcmeErrc::timeout:
      return Errc::timeout;
    case AcmeErrc::problem:
    case AcmeErrc::invalid:
    case AcmeErrc::unsupported:
      return Errc::refused;
    case AcmeErrc::protocol:
      return Errc::protocol;
    case AcmeErrc::publisher:
    case AcmeErrc::local:
      return Errc::internal;
  }
  return Errc::internal;  // unreachable: the switch is exhaustive
}

AcmeError::operator core::Error() const {
  return core::Error{net_errc(code), message};
}

core::Result<std::unique_ptr<AcmeClient>> AcmeClient::create(asio::any_io_executor executor,
                                                             DnsResolver& resolver,
                                                             AcmeOptions options) {
  if (auto url = core::parse_https_url(options.directory_url); !url) {
    return core::fail(core::Errc::invalid_value,
                      "ACME directory URL " + options.directory_url + ": " + url.error().message);
  }
  auto http = HttpClient::create(executor, resolver, acme::ca_client_options(options.ca_file));
  if (!http) {
    return tl::unexpected(http.error());
  }
  return std::unique_ptr<AcmeClient>(
      std::make_unique<acme::Client>(std::move(executor), std::move(options), std::move(*http)));
}

namespace acme {
namespace {

constexpr int kNonceAttempts = 6;       // pebble refuses 5% of good nonces by default
constexpr std::size_t kMaxNonces = 16;  // unused nonces kept

bool is_problem_document(const HttpReply& reply) {
  return reply.content_type.rfind("application/problem+json", 0) == 0;
}

}  // namespace

tl::unexpected<AcmeError> acme_failure(AcmeErrc code, std::string message) {
  AcmeError error;
  error.code = code;
  error.message = std::move(message);
  return tl::unexpected(std::move(error));
}

std::optional<std::chrono::seconds> retry_after_of(const HttpReply& reply) {
  if (reply.retry_after.empty()) {
    return std::nullopt;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto seconds = core::parse_retry_after(reply.retry_after, now);
  if (!seconds) {
    return std::nullopt;
  }
  return std::chrono::seconds(*seconds);
}

AcmeError error_from_reply(const HttpReply& reply, const std::string& what) {
  AcmeError error;
  error.code = AcmeErrc::problem;
  error.http_status = reply.status;
  error.retry_after = retry_after_of(reply);
  auto problem = core::parse_acme_problem(reply.body);
  if (problem && (is_problem_document(reply) || problem->type != "about:blank")) {
    error.problem_type = problem->type;
    error.message = "the CA refused " + what + ": " +
                    (problem->detail.empty() ? std::string("no detail") : problem->detail) + " (" +
                    problem->type + ", HTTP " + std::to_string(reply.status) + ")";
    error.problem = std::move(*problem);
  } else {
    error.message = "the CA answered " + what + " with HTTP " + std::to_string(reply.status);
  }
  return error;
}

AcmeResult<Signer> signer_for(const std::string& key_pem, std::string kid) {
  auto key = load_p256_key(key_pem);
  if (!key) {
    return acme_failure(AcmeErrc::local, key.error().message);
  }
  auto public_key = ec_public_key(key->get());
  if (!public_key) {
    return acme_failure(AcmeErrc::local, public_key.error().message);
  }
  return Signer{std::move(*key), std::move(*public_key), std::move(kid)};
}

Client::Client(asio::any_io_executor executor, AcmeOptions options, HttpClient http)
    : executor_(std::move(executor)), options_(std::move(options)), http_(std::move(http)) {}

Clock::time_point Client::request_deadline(Clock::time_point bound) const {
  return std::min(Clock::now() + options_.timeout, bound);
}

void Client::keep_nonce(const HttpReply& reply) {
  if (!core::is_valid_replay_nonce(reply.replay_nonce)) {
    return;
  }
  if (nonces_.size() == kMaxNonces) {
    nonces_.erase(nonces_.begin());
  }
  nonces_.push_back(reply.replay_nonce);
}

asio::awaitable<AcmeResult<core::AcmeDirectory>> Client::directory(Clock::time_point bound) {
  if (directory_) {
    co_return *directory_;
  }
  HttpRequest request{Method::get, options_.directory_url, {}, {}, {}};
  auto reply = co_await http_.send(std::move(request), request_deadline(bound));
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  if (reply->status != 200) {
    co_return tl::unexpected(error_from_reply(*reply, "the directory request"));
  }
  auto parsed = core::parse_acme_directory(reply->body);
  if (!parsed) {
    co_return acme_failure(AcmeErrc::protocol, "the CA's directory at " + options_.directory_url +
                                                   " is unusable: " + parsed.error().message);
  }
  directory_ = std::move(*parsed);
  co_return *directory_;
}

asio::awaitable<AcmeResult<std::string>> Client::take_nonce(Clock::time_point bound) {
  if (!nonces_.empty()) {
    std::string nonce = std::move(nonces_.back());
    nonces_.pop_back();
    co_return nonce;
  }
  auto dir = co_await directory(bound);
  if (!dir) {
    co_return tl::unexpected(std::move(dir.error()));
  }
  // RFC 8555 §7.2: HEAD newNonce answers 200 with a Replay-Nonce.
  HttpRequest request{Method::head, dir->new_nonce, {}, {}, {}};
  auto reply = co_await http_.send(std::move(request), request_deadline(bound));
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  if (reply->status >= 300) {
    co_return tl::unexpected(error_from_reply(*reply, "the newNonce request"));
  }
  if (!core::is_valid_replay_nonce(reply->replay_nonce)) {
    co_return acme_failure(AcmeErrc::protocol,
                           "the CA's newNonce answer has no valid Replay-Nonce");
  }
  co_return reply->replay_nonce;
}

asio::awaitable<AcmeResult<HttpReply>> Client::post(const Signer& signer, std::string url,
                                                    std::string payload, std::string what,
                                                    Clock::time_point bound, std::string accept) {
  for (int attempt = 1;; ++attempt) {
    auto nonce = co_await take_nonce(bound);
    if (!nonce) {
      co_return tl::unexpected(std::move(nonce.error()));
    }
    const std::string header =
        core::jws_protected_header(signer.public_key, signer.kid, *nonce, url);
    auto signature = es256_sign(signer.key.get(), core::jws_signing_input(header, payload));
    if (!signature) {
      co_return acme_failure(AcmeErrc::local, signature.error().message);
    }
    HttpRequest request{Method::post, url, core::jws_flattened(header, payload, *signature),
                        "application/jose+json", accept};
    auto reply = co_await http_.send(std::move(request), request_deadline(bound));
    if (!reply) {
      co_return tl::unexpected(std::move(reply.error()));
    }
    keep_nonce(*reply);  // §6.5: every answer, errors included, carries a fresh nonce
    if (reply->status >= 200 && reply->status < 300) {
      co_return std::move(*reply);
    }
    AcmeError error = error_from_reply(*reply, what);
    // §6.5: badNonce is the one error a client retries at once, with the nonce it just got.
    if (core::is_acme_error(error.problem_type, "badNonce") && attempt < kNonceAttempts &&
        Clock::now() < bound) {
      continue;
    }
    co_return tl::unexpected(std::move(error));
  }
}

asio::awaitable<AcmeResult<AcmeAccount>> Client::ensure_account(std::optional<AcmeAccount> known) {
  const Clock::time_point bound = Clock::now() + options_.order_timeout;
  if (!known) {
    auto key_pem = generate_account_key();
    if (!key_pem) {
      co_return acme_failure(AcmeErrc::local, key_pem.error().message);
    }
    auto signer = signer_for(*key_pem, "");
    if (!signer) {
      co_return tl::unexpected(std::move(signer.error()));
    }
    auto account = co_await register_account(std::move(*signer), std::move(*key_pem), bound);
    co_return account;
  }
  auto signer = signer_for(known->key_pem, known->url);
  if (!signer) {
    co_return tl::unexpected(std::move(signer.error()));
  }
  // §7.3.3: a POST-as-GET of the account URL tells whether the CA still knows the account.
  auto reply = co_await post(*signer, known->url, "", "the account lookup", bound);
  if (!reply) {
    if (!core::is_acme_error(reply.error().problem_type, "accountDoesNotExist")) {
      co_return tl::unexpected(std::move(reply.error()));
    }
    signer->kid.clear();  // the CA forgot it (a test CA restarted): register the key anew
    auto account = co_await register_account(std::move(*signer), known->key_pem, bound);
    co_return account;
  }
  auto account = core::parse_acme_account(reply->body);
  if (!account) {
    co_return acme_failure(AcmeErrc::protocol,
                           "the CA's account object is unusable: " + account.error().message);
  }
  if (account->status != core::AccountStatus::valid) {
    AcmeError error;
    error.code = AcmeErrc::problem;
    error.problem_type = std::string(core::kAcmeErrorPrefix) + "unauthorized";
    error.message =
        "the ACME account " + known->url + " is " + std::string(core::to_string(account->status));
    co_return tl::unexpected(std::move(error));
  }
  co_return std::move(*known);
}

asio::awaitable<AcmeResult<AcmeAccount>> Client::register_account(Signer signer,
                                                                  std::string key_pem,
                                                                  Clock::time_point bound) {
  auto dir = co_await directory(bound);
  if (!dir) {
    co_return tl::unexpected(std::move(dir.error()));
  }
  const std::string payload =
      core::acme_new_account_payload(options_.contact, options_.agree_to_terms);
  auto reply = co_await post(signer, dir->new_account, payload, "the new account", bound);
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  // §7.3: 201 for a new account, 200 when the key already has one; Location is the kid.
  if (auto url = core::parse_https_url(reply->location); !url) {
    co_return acme_failure(
        AcmeErrc::protocol,
        "the CA's newAccount answer has no usable Location: " + url.error().message);
  }
  auto account = core::parse_acme_account(reply->body);
  if (!account) {
    co_return acme_failure(AcmeErrc::protocol,
                           "the CA's account object is unusable: " + account.error().message);
  }
  if (account->status != core::AccountStatus::valid) {
    co_return acme_failure(AcmeErrc::problem, "the CA registered the account as " +
                                                  std::string(core::to_string(account->status)));
  }
  co_return AcmeAccount{std::move(key_pem), reply->location};
}

}  // namespace acme
}  // namespace mtasts::net
