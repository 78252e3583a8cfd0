#include "mtasts/net/fetch/https_fetcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "mtasts/core/sts/policy.hpp"
#include "mtasts/net/check/http_checks.hpp"
#include "mtasts/net/runtime/errc.hpp"
#include "runtime/client_connect.hpp"
#include "runtime/tls_client.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kHeaderLimit = 8 * 1024;
// Each read asks for at most this much, so the client never reads far past the body limit.
constexpr std::size_t kReadBufferLimit = 16 * 1024;

struct Failure {
  FetchDetail detail;
  std::string message;
};
using Step = std::optional<Failure>;  // nullopt: carry on
using Endpoints = tl::expected<std::vector<tcp::endpoint>, Failure>;

// Where one fetch goes, decided (and looked up) on the fetcher's executor.
struct Target {
  std::string host;       // mta-sts.<domain>
  std::string authority;  // host, with ":port" when not 443
  Clock::time_point deadline;
  bool via_proxy = false;

  [[nodiscard]] std::string url() const {
    return "https://" + authority + std::string(core::kPolicyPath);
  }
};

// One fetch: the stream, the read buffer and what has been learnt so far.
struct Exchange {
  Exchange(const asio::any_io_executor& executor, ssl::context& context)
      : stream(executor, context) {}

  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer{kReadBufferLimit};
  FetchResult result;
  std::string host;       // mta-sts.<domain>
  std::string authority;  // host, with ":port" when not 443
  Clock::time_point deadline;
  std::size_t consumed = 0;  // bytes the HTTP parser took from the buffer

  void account() { result.exchange.bytes_received = consumed + buffer.size(); }
};

Failure io_failure(const error_code& ec, const std::string& during) {
  if (ec == beast::error::timeout) {
    return {FetchDetail::timeout, "the deadline passed while " + during};
  }
  if (ec == http::error::body_limit) {
    return {FetchDetail::too_large,
            "the body exceeds " + std::to_string(core::kMaxPolicySize) + " bytes"};
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return {FetchDetail::http_protocol,
            "the response header exceeds " + std::to_string(kHeaderLimit) + " bytes"};
  }
  // A TLS stream cut without close_notify is truncated even when the body is delimited by
  // the close: an attacker could otherwise cut a policy short.
  const bool cut = ec == asio::error::eof || ec == http::error::end_of_stream ||
                   ec == http::error::partial_message || ec == ssl::error::stream_truncated ||
                   ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
  if (!cut && ec.category() == http::make_error_code(http::error::body_limit).category()) {
    return {FetchDetail::http_protocol, "invalid HTTP response (" + ec.message() + ")"};
  }
  return {FetchDetail::truncated,
          "the connection ended while " + during + " (" + ec.message() + ")"};
}

// The turns of FetchOptions::max_concurrent, first come first served: a finished fetch hands
// its turn to the longest waiting one. Waiters sleep on one timer that never expires;
// cancel_one() wakes them in order. Used from the fetcher's executor only.
class FetchTurns {
 public:
  FetchTurns(const asio::any_io_executor& executor, std::size_t limit)
      : limit_(limit), wake_(executor, Clock::time_point::max()) {}

  // Returns once the caller may run; it must call end() when done (Turn does).
  asio::awaitable<void> begin() {
    if (limit_ == 0 || (running_ < limit_ && waiting_ == 0)) {
      ++running_;
      co_return;
    }
    ++waiting_;
    error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Woken by end(), which handed its turn over: running_ already counts this fetch.
  }

  void end() {
    if (waiting_ > 0) {
      --waiting_;
      wake_.cancel_one();
    } else {
      --running_;
    }
  }

 private:
  std::size_t limit_;
  std::size_t running_ = 0;
  std::size_t waiting_ = 0;  // not yet woken
  asio::steady_timer wake_;
};

// Holds the turns by shared ownership: a fetch whose frame is destroyed after its fetcher
// (its exchange dropped with the fetcher's thread pool) still hands its turn back safely.
class Turn {
 public:
  explicit Turn(std::shared_ptr<FetchTurns> turns) : turns_(std::move(turns)) {}
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;
  ~Turn() { turns_->end(); }

 private:
  std::shared_ptr<FetchTurns> turns_;
};

class HttpsFetcher final : public PolicyFetcher {
 public:
  HttpsFetcher(asio::any_io_executor executor, DnsResolver& resolver, FetchOptions options,
               ssl::context context)
      : executor_(std::move(executor)),
        resolver_(resolver),
        options_(std::move(options)),
        context_(std::move(context)),
        turns_(std::make_shared<FetchTurns>(executor_, options_.max_concurrent)) {
    if (options_.threads > 0) {
      pool_ = std::make_unique<asio::thread_pool>(options_.threads);
    }
  }

  ~HttpsFetcher() override {
    if (pool_) {
      // Exchanges still running there are dropped with the pool (see make_https_fetcher).
      pool_->stop();
      pool_->join();
    }
  }
  HttpsFetcher(const HttpsFetcher&) = delete;
  HttpsFetcher& operator=(const HttpsFetcher&) = delete;

  asio::awaitable<FetchResult> fetch(std::string policy_domain) override {
    FetchResult result;
    try {
      const std::shared_ptr<FetchTurns> turns = turns_;
      co_await turns->begin();
      const Turn turn(turns);
      Target target;
      target.host = std::string(core::kPolicyHostPrefix) + policy_domain;
      target.authority =
          options_.port == 443 ? target.host : host_port_text(target.host, options_.port);
      target.deadline = Clock::now() + options_.timeout;
      target.via_proxy = options_.proxy && use_proxy_for(*options_.proxy, target.host);
      const std::string& name = target.via_proxy ? options_.proxy->host : target.host;
      const std::uint16_t port = target.via_proxy ? options_.proxy->port : options_.port;
      // The resolver lives on this executor: look the name up here, then run the exchange
      // (the CPU of the fetch) on the fetcher's threads when it has some.
      Endpoints endpoints =
          co_await lookup(resolver_, name, port, target.deadline, target.via_proxy);
      if (!endpoints) {
        result.exchange.url = target.url();
        result.detail = endpoints.error().detail;
        result.message = std::move(endpoints.error().message);
      } else if (pool_) {
        FetchResult exchanged = co_await asio::co_spawn(
            pool_->get_executor(), exchange(std::move(target), std::move(*endpoints)),
            asio::use_awaitable);
        result = std::move(exchanged);
      } else {
        FetchResult exchanged = co_await exchange(std::move(target), std::move(*endpoints));
        result = std::move(exchanged);
      }
    } catch (const std::exception& e) {
      // Only resource exhaustion or a library fault gets here: every I/O error is a value.
      result.detail = FetchDetail::internal;
      result.message = std::string("internal error: ") + e.what();
    }
    co_return result;
  }

 private:
  // Connect, TLS, request and response for a resolved target, on the current executor.
  asio::awaitable<FetchResult> exchange(Target target, std::vector<tcp::endpoint> endpoints) {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    Exchange x(executor, context_);
    x.result.exchange.url = target.url();
    x.host = std::move(target.host);
    x.authority = std::move(target.authority);
    x.deadline = target.deadline;
    Step failure = co_await connect(x, endpoints, target.via_proxy);
    if (!failure) {
      failure = co_await handshake(x);
    }
    if (!failure) {
      failure = co_await send_request(x);
    }
    if (!failure) {
      failure = co_await read_response(x);
    }
    x.account();
    if (failure) {
      x.result.detail = failure->detail;
      x.result.message = std::move(failure->message);
      x.result.body.clear();
    }
    co_return std::move(x.result);
  }

 private:
  static asio::awaitable<Endpoints> lookup(DnsResolver& resolver, std::string name,
                                           std::uint16_t port, Clock::time_point deadline,
                                           bool is_proxy) {
    AddressLookup found = co_await lookup_addresses(resolver, name, port, deadline);
    FetchDetail detail = FetchDetail::dns_error;
    switch (found.end) {
      case LookupEnd::found:
        co_return std::move(found.endpoints);
      case LookupEnd::deadline:
        co_return tl::unexpected(
            Failure{FetchDetail::timeout, "the deadline passed while looking up " + name});
      case LookupEnd::failed:
        break;
    }
    switch (found.status) {
      case DnsStatus::ok:
        break;
      case DnsStatus::nxdomain:
      case DnsStatus::nodata:
        detail = FetchDetail::host_not_found;
        break;
      case DnsStatus::servfail:
        detail = FetchDetail::dns_servfail;
        break;
      case DnsStatus::timeout:
        detail = FetchDetail::dns_timeout;
        break;
      case DnsStatus::cname_loop:
      case DnsStatus::error:
        break;
    }
    const std::string what = (is_proxy ? "proxy " : "") + name + ": ";
    co_return tl::unexpected(
        Failure{is_proxy ? FetchDetail::proxy : detail, "cannot resolve " + what + found.reason});
  }

  asio::awaitable<Step> connect(Exchange& x, const std::vector<tcp::endpoint>& endpoints,
                                bool via_proxy) {
    const std::string target = via_proxy ? options_.proxy->host : x.host;
    const std::uint16_t port = via_proxy ? options_.proxy->port : options_.port;
    if (via_proxy) {
      x.result.exchange.proxy = host_port_text(target, port);
    }
    const ConnectOutcome connected =
        co_await connect_endpoints(beast::get_lowest_layer(x.stream), endpoints, x.deadline);
    if (connected.end != ConnectEnd::connected) {
      const bool late = connected.end == ConnectEnd::deadline;
      co_return Failure{
          late ? FetchDetail::timeout : (via_proxy ? FetchDetail::proxy : FetchDetail::connect),
          connect_failure_text(connected, host_port_text(target, port))};
    }
    x.result.exchange.peer =
        host_port_text(connected.peer.address().to_string(), connected.peer.port());
    if (via_proxy) {
      co_return co_await tunnel(x);
    }
    co_return std::nullopt;
  }

  // RFC 9110 §9.3.6: CONNECT host:port, then TLS end to end through the tunnel.
  asio::awaitable<Step> tunnel(Exchange& x) {
    auto& tcp_layer = x.stream.next_layer();
    const std::string target = host_port_text(x.host, options_.port);
    http::request<http::empty_body> request{http::verb::connect, target, 11};
    request.set(http::field::host, target);
    request.set(http::field::user_agent, user_agent());
    error_code ec;
    co_await http::async_write(tcp_layer, request, asio::redirect_error(asio::use_awaitable, ec));
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no content
    beast::flat_buffer buffer{kHeaderLimit};
    if (!ec) {
      co_await http::async_read(tcp_layer, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      Failure failure = io_failure(ec, "talking to the proxy");
      if (failure.detail != FetchDetail::timeout) {
        failure.detail = FetchDetail::proxy;
      }
      co_return failure;
    }
    const unsigned status = parser.get().result_int();
    if (status < 200 || status > 299 || buffer.size() != 0) {
      co_return Failure{FetchDetail::proxy, "the proxy refused the tunnel to " + target + ": " +
                                                std::to_string(status) + " " +
                                                std::string(parser.get().reason())};
    }
    co_return std::nullopt;
  }

  asio::awaitable<Step> handshake(Exchange& x) {
    SSL* ssl = x.stream.native_handle();
    if (auto prepared = prepare_client_ssl(ssl, x.host); !prepared) {
      co_return Failure{FetchDetail::internal, prepared.error().message};
    }
    error_code ec;
    co_await x.stream.async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
    HttpExchange& exchange = x.result.exchange;
    if (options_.certificate == CertificateDetail::describe) {
      exchange.certificate = peer_certificate_info(ssl);
    }
    exchange.verify_result = SSL_get_verify_result(ssl);
    if (ec) {
      if (ec == beast::error::timeout) {
        co_return Failure{FetchDetail::timeout, "the deadline passed during the TLS handshake"};
      }
      if (exchange.verify_result != X509_V_OK) {
        co_return Failure{
            detail_from_verify_result(exchange.verify_result),
            "certificate of " + x.host + " rejected: " + verify_error_text(exchange.verify_result)};
      }
      co_return Failure{FetchDetail::tls_handshake, "TLS handshake failed: " + ec.message()};
    }
    exchange.tls_version = SSL_get_version(ssl);
    exchange.tls_cipher = SSL_get_cipher_name(ssl);
    co_return std::nullopt;
  }

  asio::awaitable<Step> send_request(Exchange& x) {
    // RFC 8461 §3.3: a plain GET; no conditional headers, since HTTP caching MUST NOT be used.
    http::request<http::empty_body> request{http::verb::get, core::kPolicyPath, 11};
    request.set(http::field::host, x.authority);
    request.set(http::field::user_agent, user_agent());
    request.set(http::field::connection, "close");
    error_code ec;
    co_await http::async_write(x.stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return io_failure(ec, "sending the request");
    }
    co_return std::nullopt;
  }

  asio::awaitable<Step> read_response(Exchange& x) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(core::kMaxPolicySize);  // also refuses a larger Content-Length outright
    error_code ec;
    while (!ec && !parser.is_header_done()) {
      x.consumed += co_await http::async_read_some(x.stream, x.buffer, parser,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    x.account();
    if (parser.is_header_done() || ec == http::error::body_limit) {
      record_header(x.result.exchange, parser.get());
    }
    if (ec) {
      co_return io_failure(ec, "reading the response header");
    }
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    if (const FetchDetail detail = classify_status(status); detail != FetchDetail::ok) {
      std::string message = "HTTP status " + std::to_string(status) + " " +
                            std::string(response.reason()) + "; only 200 is valid";
      if (detail == FetchDetail::redirect) {
        message += " and redirects are not followed (location: " +
                   std::string(response[http::field::location]) + ")";
      }
      co_return Failure{detail, std::move(message)};
    }
    const auto content_type = response[http::field::content_type];
    if (!is_text_plain(content_type)) {
      co_return Failure{
          FetchDetail::content_type,
          content_type.empty()
              ? std::string("the response has no Content-Type; text/plain is required")
              : "Content-Type is " + std::string(content_type) + "; text/plain is required"};
    }
    while (!ec && !parser.is_done()) {
      x.consumed += co_await http::async_read_some(x.stream, x.buffer, parser,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    x.account();
    if (ec) {
      co_return io_failure(ec, "reading the body");
    }
    x.result.body = parser.release().body();
    co_return std::nullopt;
  }

  static void record_header(HttpExchange& exchange,
                            const http::response<http::string_body>& response) {
    exchange.status = response.result_int();
    exchange.reason = std::string(response.reason());
    exchange.headers.clear();
    for (const auto& field : response) {
      exchange.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }

  asio::any_io_executor executor_;
  DnsResolver& resolver_;
  FetchOptions options_;
  ssl::context context_;  // SSL_CTX is safe to share between threads once set up
  std::shared_ptr<FetchTurns> turns_;
  std::unique_ptr<asio::thread_pool> pool_;  // FetchOptions::threads
};

}  // namespace

core::Result<std::unique_ptr<PolicyFetcher>> make_https_fetcher(asio::any_io_executor executor,
                                                                DnsResolver& resolver,
                                                                FetchOptions options) {
  auto context = make_client_context(options.ca_file);
  if (!context) {
    return tl::unexpected(context.error());
  }
  return std::unique_ptr<PolicyFetcher>(std::make_unique<HttpsFetcher>(
      std::move(executor), resolver, std::move(options), std::move(*context)));
}

}  // namespace mtasts::net
