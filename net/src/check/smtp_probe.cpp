#include "mtasts/net/check/smtp_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/net/runtime/errc.hpp"
#include "runtime/client_connect.hpp"
#include "runtime/tls_client.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// QUIT is a courtesy: it gets at most this long, within the probe's deadline.
constexpr std::chrono::seconds kQuitBound{2};

struct Failure {
  SmtpProbeStatus status;
  std::string message;
};
using Step = std::optional<Failure>;  // nullopt: carry on

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
};
using ReplyResult = tl::expected<Reply, Failure>;

struct Session {
  Session(const asio::any_io_executor& executor, ssl::context& context)
      : stream(executor, context) {}

  beast::ssl_stream<beast::tcp_stream> stream;
  std::string buffer;  // bytes read past the last complete line
  bool tls = false;
  std::string host;
  Clock::time_point deadline;
  SmtpProbeResult result;
};

Failure io_failure(const error_code& ec, const std::string& during) {
  if (ec == beast::error::timeout) {
    return {SmtpProbeStatus::timeout, "the deadline passed while " + during};
  }
  if (ec == asio::error::not_found) {
    return {SmtpProbeStatus::smtp_protocol,
            "a reply line longer than " + std::to_string(kMaxSmtpLine) + " bytes while " + during};
  }
  return {SmtpProbeStatus::smtp_protocol,
          "the connection failed while " + during + " (" + ec.message() + ")"};
}

// Reads one CRLF-terminated line (bounded by kMaxSmtpLine) from the plain or the TLS stream.
asio::awaitable<tl::expected<std::string, error_code>> read_line(Session& s) {
  error_code ec;
  std::size_t size = 0;
  auto buffer = asio::dynamic_buffer(s.buffer, kMaxSmtpLine);
  if (s.tls) {
    const std::size_t got = co_await asio::async_read_until(
        s.stream, buffer, "\r\n", asio::redirect_error(asio::use_awaitable, ec));
    size = got;
  } else {
    const std::size_t got = co_await asio::async_read_until(
        s.stream.next_layer(), buffer, "\r\n", asio::redirect_error(asio::use_awaitable, ec));
    size = got;
  }
  if (ec) {
    co_return tl::unexpected(ec);
  }
  std::string line = s.buffer.substr(0, size - 2);
  s.buffer.erase(0, size);
  co_return line;
}

// RFC 5321 §4.2: "NNN-text" lines until "NNN text" (or a bare "NNN").
asio::awaitable<ReplyResult> read_reply(Session& s, std::string during) {
  Reply reply;
  std::size_t total = 0;
  for (;;) {
    auto line = co_await read_line(s);
    if (!line) {
      co_return tl::unexpected(io_failure(line.error(), during));
    }
    total += line->size() + 2;
    const bool shaped = line->size() >= 3 &&
                        std::all_of(line->begin(), line->begin() + 3,
                                    [](char c) { return c >= '0' && c <= '9'; }) &&
                        (line->size() == 3 || (*line)[3] == ' ' || (*line)[3] == '-');
    if (!shaped || total > kMaxSmtpReply) {
      co_return tl::unexpected(Failure{
          SmtpProbeStatus::smtp_protocol,
          shaped ? "a reply over " + std::to_string(kMaxSmtpReply) + " bytes while " + during
                 : "not an SMTP reply while " + during + ": " + line->substr(0, 80)});
    }
    reply.code = std::stoi(line->substr(0, 3));
    reply.lines.push_back(line->size() > 4 ? line->substr(4) : std::string());
    if (line->size() == 3 || (*line)[3] == ' ') {
      co_return reply;
    }
  }
}

asio::awaitable<error_code> write_command(Session& s, std::string command) {
  error_code ec;
  if (s.tls) {
    co_await asio::async_write(s.stream, asio::buffer(command),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(s.stream.next_layer(), asio::buffer(command),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

// Sends a command and reads its reply.
asio::awaitable<ReplyResult> exchange(Session& s, std::string command, std::string during) {
  const error_code ec = co_await write_command(s, command);
  if (ec) {
    co_return tl::unexpected(io_failure(ec, during));
  }
  auto reply = co_await read_reply(s, during);
  co_return reply;
}

bool offers_starttls(const Reply& ehlo) {
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string keyword = core::ascii_lower(ehlo.lines[i].substr(0, ehlo.lines[i].find(' ')));
    if (keyword == "starttls") {
      return true;
    }
  }
  return false;
}

// detail_from_verify_result only yields the certificate details and tls_handshake.
SmtpProbeStatus status_from_detail(FetchDetail detail) {
  if (detail == FetchDetail::cert_untrusted) {
    return SmtpProbeStatus::cert_untrusted;
  }
  if (detail == FetchDetail::cert_expired) {
    return SmtpProbeStatus::cert_expired;
  }
  if (detail == FetchDetail::cert_not_yet_valid) {
    return SmtpProbeStatus::cert_not_yet_valid;
  }
  if (detail == FetchDetail::cert_name_mismatch) {
    return SmtpProbeStatus::cert_name_mismatch;
  }
  if (detail == FetchDetail::tls_handshake) {
    return SmtpProbeStatus::tls_handshake;
  }
  return SmtpProbeStatus::cert_invalid;
}

// RFC 8461 §7.2 asks for TLS 1.2 or later: tell a version refusal from other failures.
bool is_version_refusal(const error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
        reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_WRONG_VERSION_NUMBER) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view smtp_probe_status_name(SmtpProbeStatus status) {
  switch (status) {
    case SmtpProbeStatus::ok:
      return "ok";
    case SmtpProbeStatus::unreachable:
      return "unreachable";
    case SmtpProbeStatus::timeout:
      return "timeout";
    case SmtpProbeStatus::smtp_protocol:
      return "smtp-protocol";
    case SmtpProbeStatus::no_starttls:
      return "no-starttls";
    case SmtpProbeStatus::tls_version:
      return "tls-version";
    case SmtpProbeStatus::tls_handshake:
      return "tls-handshake";
    case SmtpProbeStatus::cert_untrusted:
      return "cert-untrusted";
    case SmtpProbeStatus::cert_expired:
      return "cert-expired";
    case SmtpProbeStatus::cert_not_yet_valid:
      return "cert-not-yet-valid";
    case SmtpProbeStatus::cert_name_mismatch:
      return "cert-name-mismatch";
    case SmtpProbeStatus::cert_invalid:
      return "cert-invalid";
    case SmtpProbeStatus::internal:
      return "internal";
  }
  return "internal";
}

namespace {

class StarttlsProber final : public SmtpProber {
 public:
  StarttlsProber(asio::any_io_executor executor, SmtpProbeOptions options, ssl::context context)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        context_(std::move(context)) {}

  asio::awaitable<SmtpProbeResult> probe(std::string mx_host,
                                         std::vector<std::string> addresses) override {
    SmtpProbeResult out;
    try {
      Session s(executor_, context_);
      s.host = std::move(mx_host);
      s.deadline = Clock::now() + options_.timeout;
      Step failure = co_await connect(s, std::move(addresses));
      if (!failure) {
        failure = co_await greet(s);
      }
      if (!failure) {
        failure = co_await start_tls(s);
      }
      if (!failure || failure->status != SmtpProbeStatus::timeout) {
        co_await quit(s);
      }
      s.result.status = failure ? failure->status : SmtpProbeStatus::ok;
      if (failure) {
        s.result.message = std::move(failure->message);
      }
      out = std::move(s.result);
    } catch (const std::exception& e) {
      out.status = SmtpProbeStatus::internal;
      out.message = std::string("internal error: ") + e.what();
    }
    co_return out;
  }

 private:
  asio::awaitable<Step> connect(Session& s, std::vector<std::string> addresses) {
    std::vector<tcp::endpoint> endpoints;
    for (const std::string& text : addresses) {
      error_code ec;
      const asio::ip::address address = asio::ip::make_address(text, ec);
      if (!ec) {
        endpoints.emplace_back(address, options_.port);
      }
    }
    if (endpoints.empty()) {
      co_return Failure{SmtpProbeStatus::unreachable, "no address to connect to"};
    }
    // One deadline for every operation from here on.
    const ConnectOutcome connected =
        co_await connect_endpoints(beast::get_lowest_layer(s.stream), endpoints, s.deadline);
    if (connected.end != ConnectEnd::connected) {
      const bool late = connected.end == ConnectEnd::deadline;
      co_return Failure{late ? SmtpProbeStatus::timeout : SmtpProbeStatus::unreachable,
                        connect_failure_text(connected, "port " + std::to_string(options_.port))};
    }
    s.result.peer =
        connected.peer.address().to_string() + ":" + std::to_string(connected.peer.port());
    co_return std::nullopt;
  }

  // The banner, EHLO, and whether STARTTLS is offered (RFC 3207 §4).
  asio::awaitable<Step> greet(Session& s) {
    auto banner = co_await read_reply(s, "reading the banner");
    if (!banner) {
      co_return banner.error();
    }
    s.result.banner = banner->lines.front();
    if (banner->code != 220) {
      co_return Failure{
          SmtpProbeStatus::smtp_protocol,
          "the server greets with " + std::to_string(banner->code) + " " + s.result.banner};
    }
    auto ehlo = co_await exchange(s, "EHLO " + options_.ehlo_name + "\r\n", "waiting for EHLO");
    if (!ehlo) {
      co_return ehlo.error();
    }
    if (ehlo->code != 250) {
      co_return Failure{SmtpProbeStatus::smtp_protocol,
                        "EHLO answered " + std::to_string(ehlo->code) + " " + ehlo->lines.front()};
    }
    s.result.starttls_offered = offers_starttls(*ehlo);
    if (!s.result.starttls_offered) {
      co_return Failure{SmtpProbeStatus::no_starttls, "the EHLO reply does not offer STARTTLS"};
    }
    co_return std::nullopt;
  }

  asio::awaitable<Step> start_tls(Session& s) {
    auto reply = co_await exchange(s, "STARTTLS\r\n", "waiting for the STARTTLS reply");
    if (!reply) {
      co_return reply.error();
    }
    if (reply->code != 220) {
      co_return Failure{
          SmtpProbeStatus::no_starttls,
          "STARTTLS refused: " + std::to_string(reply->code) + " " + reply->lines.front()};
    }
    s.buffer.clear();  // RFC 3207 §4.2: nothing sent before the handshake may be used
    SSL* handle = s.stream.native_handle();
    if (auto prepared = prepare_client_ssl(handle, s.host); !prepared) {
      co_return Failure{SmtpProbeStatus::internal, prepared.error().message};
    }
    error_code ec;
    co_await s.stream.async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
    s.result.certificate = peer_certificate_info(handle);
    s.result.verify_result = SSL_get_verify_result(handle);
    if (ec) {
      if (ec == beast::error::timeout) {
        co_return Failure{SmtpProbeStatus::timeout, "the deadline passed during the TLS handshake"};
      }
      if (s.result.verify_result != X509_V_OK) {
        co_return Failure{
            status_from_detail(detail_from_verify_result(s.result.verify_result)),
            "certificate of " + s.host + " rejected: " + verify_error_text(s.result.verify_result)};
      }
      if (is_version_refusal(ec)) {
        co_return Failure{
            SmtpProbeStatus::tls_version,
            "no common TLS version: TLS 1.2 or later is required (" + ec.message() + ")"};
      }
      co_return Failure{SmtpProbeStatus::tls_handshake, "TLS handshake failed: " + ec.message()};
    }
    s.tls = true;
    s.result.tls_version = SSL_get_version(handle);
    co_return std::nullopt;
  }

  // A courtesy QUIT; its outcome does not change the result.
  asio::awaitable<void> quit(Session& s) {
    if (s.result.peer.empty()) {
      co_return;
    }
    beast::get_lowest_layer(s.stream).expires_at(std::min(s.deadline, Clock::now() + kQuitBound));
    auto reply = co_await exchange(s, "QUIT\r\n", "waiting for the QUIT reply");
    (void)reply;
  }

  asio::any_io_executor executor_;
  SmtpProbeOptions options_;
  ssl::context context_;
};

}  // namespace

core::Result<std::unique_ptr<SmtpProber>> make_smtp_prober(asio::any_io_executor executor,
                                                           SmtpProbeOptions options) {
  auto context = make_client_context(options.ca_file);
  if (!context) {
    return tl::unexpected(context.error());
  }
  return std::unique_ptr<SmtpProber>(std::make_unique<StarttlsProber>(
      std::move(executor), std::move(options), std::move(*context)));
}

}  // namespace mtasts::net
