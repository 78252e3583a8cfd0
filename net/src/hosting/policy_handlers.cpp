// The two handlers of the policy server: the policy over HTTPS, HTTP-01 challenges over HTTP.

#include <algorithm>
#include <string_view>

#include "mtasts/core/base/text.hpp"
#include "mtasts/net/hosting/policy_server.hpp"

namespace mtasts::net {
namespace {

constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";  // RFC 8461 §3.2
constexpr std::string_view kPolicyHostPrefix = "mta-sts.";
constexpr std::string_view kChallengePrefix = "/.well-known/acme-challenge/";  // RFC 8555 §8.3
constexpr std::size_t kMaxTokenLength = 256;

HttpResponse plain(unsigned status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}

HttpResponse not_found() {
  return plain(404, "not found\n");
}

// RFC 8555 §8.1: tokens are base64url without padding.
bool base64url(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) {
    return false;
  }
  return std::all_of(token.begin(), token.end(), core::is_base64url_char);
}

// The Policy Domain d of a request whose Host and SNI are both "mta-sts.<d>", or "".
std::string_view requested_domain(const HttpRequest& request) {
  // The name the client verified the certificate for must be the name it asks about.
  const std::string_view host = request.host;
  if (host.empty() || host != request.sni || host.size() <= kPolicyHostPrefix.size() ||
      host.substr(0, kPolicyHostPrefix.size()) != kPolicyHostPrefix) {
    return {};
  }
  return host.substr(kPolicyHostPrefix.size());
}

class PolicyHandler final : public HttpHandler {
 public:
  PolicyHandler(const PolicySource& source, ReportReceiver* reports)
      : source_(source), reports_(reports) {}

  boost::asio::awaitable<HttpResponse> handle(HttpRequest request) override {
    if (reports_ != nullptr && request.target == kReportIntakePath) {
      const std::string domain(requested_domain(request));
      if (domain.empty() || !source_.policy_body(domain)) {
        co_return not_found();
      }
      if (request.method != "POST") {
        HttpResponse response = plain(405, "method not allowed\n");
        response.headers.emplace_back("Allow", "POST");
        co_return response;
      }
      HttpResponse response = co_await reports_->receive(domain, std::move(request));
      co_return response;
    }
    co_return answer(request);
  }

 private:
  HttpResponse answer(const HttpRequest& request) const {
    // The exact path only: a query string or another spelling is another resource.
    if (request.target != kPolicyPath) {
      return not_found();
    }
    const std::string_view domain = requested_domain(request);
    if (domain.empty()) {
      return not_found();
    }
    const std::shared_ptr<const std::string> body = source_.policy_body(domain);
    if (!body) {
      return not_found();
    }
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse response = plain(405, "method not allowed\n");
      response.headers.emplace_back("Allow", "GET, HEAD");  // RFC 9110 §15.5.6
      return response;
    }
    HttpResponse response = plain(200, *body);
    // RFC 8461 §3.3: senders must not use HTTP caching; no cache in between may either, or it
    // could serve an older body under a newer TXT id.
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  }

  const PolicySource& source_;
  ReportReceiver* reports_;
};

class Http01Handler final : public HttpHandler {
 public:
  explicit Http01Handler(PolicySource& source) : source_(source) {}

  boost::asio::awaitable<HttpResponse> handle(HttpRequest request) override {
    co_return answer(request);
  }

 private:
  HttpResponse answer(const HttpRequest& request) const {
    const std::string_view target = request.target;
    if (request.method != "GET" || target.substr(0, kChallengePrefix.size()) != kChallengePrefix) {
      return not_found();
    }
    const std::string_view token = target.substr(kChallengePrefix.size());
    if (!base64url(token)) {
      return not_found();
    }
    std::optional<std::string> key_authorization = source_.http01_key_authorization(token);
    if (!key_authorization) {
      return not_found();
    }
    // RFC 8555 §8.3: the body is the key authorization, nothing around it.
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = std::move(*key_authorization);
    return response;
  }

  PolicySource& source_;
};

}  // namespace

std::unique_ptr<HttpHandler> make_policy_handler(const PolicySource& source,
                                                 ReportReceiver* reports) {
  return std::make_unique<PolicyHandler>(source, reports);
}

std::unique_ptr<HttpHandler> make_http01_handler(PolicySource& source) {
  return std::make_unique<Http01Handler>(source);
}

}  // namespace mtasts::net
