// One ACME order (RFC 8555 §7.4-7.5): newOrder, the authorizations answered through the
// publisher, polling, finalize with a CSR, the chain downloaded.

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "acme/acme_client_impl.hpp"
#include "mtasts/core/base/domain_name.hpp"

namespace mtasts::net::acme {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Client::OrderRun {
  Signer signer;
  std::vector<std::string> names;
  Clock::time_point deadline;
  std::string order_url;
  core::AcmeOrder order;
  std::vector<PendingChallenge> published;  // withdrawn when the order no longer needs them
  std::vector<std::string> responded;       // authorizations whose challenge we answered
};

namespace {

constexpr milliseconds kFirstPoll{250};
constexpr milliseconds kLongestPoll{4000};
constexpr seconds kLongestRetryAfter{60};
constexpr milliseconds kLastPollMargin{500};

// A-labels, deduplicated in order; the first stays first (it becomes the CN).
AcmeResult<std::vector<std::string>> checked_names(const std::vector<std::string>& names) {
  if (names.empty() || names.size() > core::kMaxAcmeIdentifiers) {
    return acme_failure(AcmeErrc::local, "an order needs 1 to " +
                                             std::to_string(core::kMaxAcmeIdentifiers) + " names");
  }
  std::vector<std::string> out;
  for (const std::string& name : names) {
    auto normal = core::normalize_domain(name);
    if (!normal) {
      return acme_failure(AcmeErrc::local, "cannot order a certificate for \"" + name +
                                               "\": " + normal.error().message);
    }
    if (std::find(out.begin(), out.end(), *normal) == out.end()) {
      out.push_back(std::move(*normal));
    }
  }
  return out;
}

template <class T>
AcmeResult<T> parsed_or_protocol(core::Result<T> parsed, const std::string& what) {
  if (!parsed) {
    return acme_failure(AcmeErrc::protocol,
                        "the CA's " + what + " is unusable: " + parsed.error().message);
  }
  return std::move(*parsed);
}

// The error of an authorization or order that became invalid, with the CA's reason.
AcmeError invalid_error(std::string message, const std::optional<core::AcmeProblem>& problem) {
  AcmeError error;
  error.code = AcmeErrc::invalid;
  error.message = std::move(message);
  if (problem) {
    error.problem_type = problem->type;
    error.message += ": " + (problem->detail.empty() ? std::string("no detail") : problem->detail) +
                     " (" + problem->type + ")";
    error.problem = problem;
  }
  return error;
}

// The first challenge error of an invalid authorization, preferring the type we answered.
std::optional<core::AcmeProblem> challenge_problem(const core::AcmeAuthorization& authorization,
                                                   std::string_view type) {
  std::optional<core::AcmeProblem> found;
  for (const core::AcmeChallenge& challenge : authorization.challenges) {
    if (challenge.error && (challenge.type == type || !found)) {
      found = challenge.error;
    }
  }
  return found;
}

bool names_identifier(const std::vector<std::string>& names,
                      const core::AcmeIdentifier& identifier) {
  return identifier.type == "dns" &&
         std::any_of(names.begin(), names.end(), [&](const std::string& name) {
           return core::domain_equal(name, identifier.value);
         });
}

// The authorization's challenge of `type`; AcmeErrc::unsupported naming what it offers.
AcmeResult<const core::AcmeChallenge*> challenge_of_type(
    const core::AcmeAuthorization& authorization, std::string_view type) {
  std::string offered;
  for (const core::AcmeChallenge& challenge : authorization.challenges) {
    if (challenge.type == type) {
      return &challenge;
    }
    offered += (offered.empty() ? "" : ", ") + challenge.type;
  }
  return acme_failure(AcmeErrc::unsupported,
                      "the CA offers no " + std::string(type) + " challenge for " +
                          authorization.identifier.value +
                          " (offered: " + (offered.empty() ? "none" : offered) + ")");
}

}  // namespace

asio::awaitable<AcmeResult<IssuedCertificate>> Client::order(const AcmeAccount& account,
                                                             std::vector<std::string> names,
                                                             ChallengePublisher& publisher) {
  auto checked = checked_names(names);
  if (!checked) {
    co_return tl::unexpected(std::move(checked.error()));
  }
  if (account.url.empty()) {
    co_return acme_failure(AcmeErrc::local, "the ACME account has no URL (kid)");
  }
  auto signer = signer_for(account.key_pem, account.url);
  if (!signer) {
    co_return tl::unexpected(std::move(signer.error()));
  }
  OrderRun run{std::move(*signer),
               std::move(*checked),
               Clock::now() + options_.order_timeout,
               {},
               {},
               {},
               {}};
  auto dir = co_await directory(run.deadline);
  if (!dir) {
    co_return tl::unexpected(std::move(dir.error()));
  }
  const std::string payload = core::acme_new_order_payload(run.names);
  auto reply = co_await post(run.signer, dir->new_order, payload, "the new order", run.deadline);
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  if (!core::parse_https_url(reply->location)) {
    co_return acme_failure(AcmeErrc::protocol, "the CA's newOrder answer has no usable Location");
  }
  run.order_url = reply->location;
  auto order = parsed_or_protocol(core::parse_acme_order(reply->body), "order");
  if (!order) {
    co_return tl::unexpected(std::move(order.error()));
  }
  run.order = std::move(*order);
  auto authorized = co_await authorize(run, publisher);
  for (const PendingChallenge& challenge : run.published) {
    co_await publisher.withdraw(challenge);
  }
  if (!authorized) {
    co_return tl::unexpected(std::move(authorized.error()));
  }
  auto issued = co_await finalize(run);
  co_return issued;
}

asio::awaitable<AcmeResult<void>> Client::authorize(OrderRun& run, ChallengePublisher& publisher) {
  if (run.order.status == core::OrderStatus::invalid) {
    co_return tl::unexpected(invalid_error("the CA made the order invalid", run.order.error));
  }
  if (run.order.status != core::OrderStatus::pending) {
    co_return AcmeResult<void>();  // ready or later: every authorization is valid already
  }
  // §7.5: answer every pending authorization first, so the CA validates them side by side.
  for (const std::string& url : run.order.authorizations) {
    auto started = co_await start_challenge(run, publisher, url);
    if (!started) {
      co_return started;
    }
  }
  for (const std::string& url : run.responded) {
    auto done = co_await await_authorization(run, url);
    if (!done) {
      co_return done;
    }
  }
  co_return AcmeResult<void>();
}

asio::awaitable<AcmeResult<void>> Client::start_challenge(OrderRun& run,
                                                          ChallengePublisher& publisher,
                                                          std::string authorization_url) {
  auto read = co_await read_authorization(run, authorization_url);
  if (!read) {
    co_return tl::unexpected(std::move(read.error()));
  }
  const core::AcmeAuthorization& authorization = read->authorization;
  const std::string name = authorization.identifier.value;
  if (!names_identifier(run.names, authorization.identifier)) {
    co_return acme_failure(AcmeErrc::protocol,
                           "the CA asks to authorize \"" + name + "\", which was not ordered");
  }
  const std::string_view type = challenge_type_name(options_.challenge);
  if (authorization.status == core::AuthorizationStatus::valid) {
    co_return AcmeResult<void>();  // §7.1.3: the CA reused an earlier authorization
  }
  if (authorization.status != core::AuthorizationStatus::pending) {
    co_return tl::unexpected(invalid_error("the authorization of " + name + " is " +
                                               std::string(core::to_string(authorization.status)),
                                           challenge_problem(authorization, type)));
  }
  auto challenge = challenge_of_type(authorization, type);
  if (!challenge) {
    co_return tl::unexpected(std::move(challenge.error()));
  }
  const core::AcmeChallenge* chosen = *challenge;
  PendingChallenge pending{options_.challenge, name, chosen->token,
                           key_authorization(run.signer.public_key, chosen->token)};
  auto published = co_await publisher.publish(pending);
  if (!published) {
    co_return acme_failure(AcmeErrc::publisher, "cannot publish the " + std::string(type) +
                                                    " challenge for " + name + ": " +
                                                    published.error().message);
  }
  run.published.push_back(pending);
  // §7.5.1: an empty JSON object says "validate now".
  auto answered = co_await post(run.signer, chosen->url, core::acme_challenge_response_payload(),
                                "the challenge response", run.deadline);
  if (!answered) {
    co_return tl::unexpected(std::move(answered.error()));
  }
  run.responded.push_back(std::move(authorization_url));
  co_return AcmeResult<void>();
}

asio::awaitable<AcmeResult<Client::AuthorizationReply>> Client::read_authorization(
    OrderRun& run, std::string authorization_url) {
  auto reply =
      co_await post(run.signer, authorization_url, "", "the authorization request", run.deadline);
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  auto authorization =
      parsed_or_protocol(core::parse_acme_authorization(reply->body), "authorization");
  if (!authorization) {
    co_return tl::unexpected(std::move(authorization.error()));
  }
  co_return AuthorizationReply{std::move(*authorization), retry_after_of(*reply)};
}

asio::awaitable<AcmeResult<void>> Client::await_authorization(OrderRun& run,
                                                              std::string authorization_url) {
  for (int attempt = 0;; ++attempt) {
    auto read = co_await read_authorization(run, authorization_url);
    if (!read) {
      co_return tl::unexpected(std::move(read.error()));
    }
    const core::AcmeAuthorization& authorization = read->authorization;
    const std::string& name = authorization.identifier.value;
    if (authorization.status == core::AuthorizationStatus::valid) {
      co_return AcmeResult<void>();
    }
    if (authorization.status != core::AuthorizationStatus::pending) {
      co_return tl::unexpected(
          invalid_error("the CA did not validate " + name + " (authorization " +
                            std::string(core::to_string(authorization.status)) + ")",
                        challenge_problem(authorization, challenge_type_name(options_.challenge))));
    }
    auto waited = co_await pause(run.deadline, read->retry_after, attempt,
                                 "waiting for the validation of " + name);
    if (!waited) {
      co_return waited;
    }
  }
}

asio::awaitable<AcmeResult<core::AcmeOrder>> Client::await_order(OrderRun& run,
                                                                 core::OrderStatus wanted) {
  for (int attempt = 0;; ++attempt) {
    auto reply = co_await post(run.signer, run.order_url, "", "the order request", run.deadline);
    if (!reply) {
      co_return tl::unexpected(std::move(reply.error()));
    }
    auto order = parsed_or_protocol(core::parse_acme_order(reply->body), "order");
    if (!order) {
      co_return tl::unexpected(std::move(order.error()));
    }
    const core::OrderStatus status = order->status;
    if (status == core::OrderStatus::invalid) {
      co_return tl::unexpected(invalid_error("the CA made the order invalid", order->error));
    }
    const bool waiting_for_ready = wanted == core::OrderStatus::ready;
    if ((waiting_for_ready && status != core::OrderStatus::pending) ||
        status == core::OrderStatus::valid) {
      co_return std::move(*order);
    }
    if (!waiting_for_ready && status != core::OrderStatus::processing) {
      co_return acme_failure(
          AcmeErrc::protocol,
          "the order went back to " + std::string(core::to_string(status)) + " after finalize");
    }
    auto waited =
        co_await pause(run.deadline, retry_after_of(*reply), attempt,
                       "waiting for the order to become " + std::string(core::to_string(wanted)));
    if (!waited) {
      co_return tl::unexpected(std::move(waited.error()));
    }
  }
}

asio::awaitable<AcmeResult<IssuedCertificate>> Client::finalize(OrderRun& run) {
  core::AcmeOrder order = run.order;
  if (order.status == core::OrderStatus::pending) {
    auto ready = co_await await_order(run, core::OrderStatus::ready);
    if (!ready) {
      co_return tl::unexpected(std::move(ready.error()));
    }
    order = std::move(*ready);
  }
  // §7.4: a fresh key for every certificate; the account key never leaves the account.
  auto key = new_p256_key();
  if (!key) {
    co_return acme_failure(AcmeErrc::local, key.error().message);
  }
  if (order.status == core::OrderStatus::ready) {
    auto csr = make_csr_der(key->get(), run.names);
    if (!csr) {
      co_return acme_failure(AcmeErrc::local, csr.error().message);
    }
    auto reply = co_await post(run.signer, order.finalize, core::acme_finalize_payload(*csr),
                               "the finalize request", run.deadline);
    if (!reply) {
      co_return tl::unexpected(std::move(reply.error()));
    }
    auto finalized = parsed_or_protocol(core::parse_acme_order(reply->body), "order");
    if (!finalized) {
      co_return tl::unexpected(std::move(finalized.error()));
    }
    order = std::move(*finalized);
  }
  if (order.status != core::OrderStatus::valid) {
    auto valid = co_await await_order(run, core::OrderStatus::valid);
    if (!valid) {
      co_return tl::unexpected(std::move(valid.error()));
    }
    order = std::move(*valid);
  }
  if (!order.certificate) {
    co_return acme_failure(AcmeErrc::protocol, "the valid order names no certificate URL");
  }
  // §7.4.2: the chain, leaf first, as application/pem-certificate-chain.
  auto reply = co_await post(run.signer, *order.certificate, "", "the certificate download",
                             run.deadline, "application/pem-certificate-chain");
  if (!reply) {
    co_return tl::unexpected(std::move(reply.error()));
  }
  auto facts = check_chain(reply->body, key->get(), run.names);
  if (!facts) {
    co_return acme_failure(AcmeErrc::protocol, facts.error().message);
  }
  auto key_pem = private_key_pem(key->get());
  if (!key_pem) {
    co_return acme_failure(AcmeErrc::local, key_pem.error().message);
  }
  co_return IssuedCertificate{std::move(reply->body), std::move(*key_pem), facts->not_before,
                              facts->not_after};
}

asio::awaitable<AcmeResult<void>> Client::pause(Clock::time_point deadline,
                                                std::optional<seconds> retry_after, int attempt,
                                                std::string what) {
  // §8.2 / §7.5.1: a Retry-After from the CA sets the pace; else a short interval that grows.
  milliseconds interval = kFirstPoll * (1 << std::min(attempt, 4));
  interval = std::min(interval, kLongestPoll);
  if (retry_after && retry_after->count() > 0) {
    interval = std::min<milliseconds>(*retry_after, kLongestRetryAfter);
  }
  // Near the deadline the last wait is cut short, leaving time for one more poll.
  const auto remaining =
      std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) - kLastPollMargin;
  if (remaining <= milliseconds(0)) {
    co_return acme_failure(AcmeErrc::timeout, "the order's deadline (" +
                                                  std::to_string(options_.order_timeout.count()) +
                                                  " s) passed while " + what);
  }
  asio::steady_timer timer(executor_, std::min(interval, remaining));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return AcmeResult<void>();
}

}  // namespace mtasts::net::acme
