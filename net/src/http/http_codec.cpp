// The request decoder on Beast's HTTP/1 parser, and the response writer.

#include "mtasts/net/http/http_codec.hpp"

#include <time.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>

#include "mtasts/core/base/text.hpp"

namespace mtasts::net {
namespace {

namespace http = boost::beast::http;
using Parser = http::request_parser<http::string_body>;

// Compact the buffer when this much of it has been consumed.
constexpr std::size_t kCompactAt = 16 * 1024;
// The shortest end of a chunked body: "0" CRLF CRLF.
constexpr std::size_t kMinChunkedTail = 5;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// "HTTP/d.d" with a major version other than 1 ends the request line: a version we do not
// speak (505), rather than a malformed one (400).
bool other_version(std::string_view buffer) {
  const std::string_view line = buffer.substr(0, buffer.find("\r\n"));
  const auto at = line.rfind(" HTTP/");
  if (at == std::string_view::npos || line.size() != at + 9) {
    return false;
  }
  const std::string_view version = line.substr(at + 6);
  return version[0] >= '0' && version[0] <= '9' && version[0] != '1' && version[1] == '.' &&
         version[2] >= '0' && version[2] <= '9';
}

HttpDecodeError map_error(const boost::system::error_code& ec, std::string_view buffer) {
  if (ec == http::error::bad_version && other_version(buffer)) {
    return HttpDecodeError::bad_version;
  }
  if (ec == http::error::header_limit) {
    return HttpDecodeError::head_too_large;
  }
  if (ec == http::error::body_limit) {
    return HttpDecodeError::body_too_large;
  }
  return HttpDecodeError::bad_request;
}

bool has_crlf_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace

unsigned http_decode_error_status(HttpDecodeError error) {
  switch (error) {
    case HttpDecodeError::bad_request:
      return 400;
    case HttpDecodeError::head_too_large:
      return 431;
    case HttpDecodeError::body_too_large:
      return 413;
    case HttpDecodeError::bad_version:
      return 505;
  }
  return 400;
}

std::string normalize_http_host(std::string_view value) {
  std::string host;
  std::string_view port;
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    for (const char c : value.substr(1, close - 1)) {
      const char l = core::to_lower(c);
      if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f') || l == ':' || l == '.')) {
        return {};
      }
    }
    host.assign(value.substr(0, close + 1));
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':')) {
      return {};
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    const auto colon = value.find(':');
    const std::string_view name = value.substr(0, colon);
    port = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
    host.reserve(name.size());
    for (const char c : name) {
      const char l = core::to_lower(c);
      if (!host_char(l)) {
        return {};
      }
      host += l;
    }
    if (host.empty() || host.front() == '.' || host.find("..") != std::string::npos) {
      return {};  // an empty label
    }
    if (host.back() == '.') {
      host.pop_back();  // the absolute form of the same name
    }
  }
  for (std::size_t i = 0; i < host.size(); ++i) {
    host[i] = core::to_lower(host[i]);
  }
  if (!all_digits(port) || port.size() > 5) {
    return {};
  }
  return host;
}

struct HttpRequestDecoder::Impl {
  Impl(std::size_t header, std::size_t body) : max_header(header), max_body(body) {}

  std::size_t max_header;
  std::size_t max_body;
  std::string buffer;
  std::size_t start = 0;  // buffer[start..] is not consumed yet
  std::optional<Parser> parser;
  bool continue_reported = false;
  std::optional<HttpDecodeError> failed;

  HttpDecodeStep fail(HttpDecodeError error) {
    failed = error;
    HttpDecodeStep step;
    step.kind = HttpDecodeStep::Kind::error;
    step.error = error;
    return step;
  }

  void compact() {
    if (start == buffer.size()) {
      buffer.clear();
      start = 0;
    } else if (start >= kCompactAt) {
      buffer.erase(0, start);
      start = 0;
    }
  }

  void begin() {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_header, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(max_body);
    parser->eager(true);
    continue_reported = false;
  }

  HttpDecodeStep finish();

  // Waiting for bytes; the first time the head of an "Expect: 100-continue" request with a
  // body is complete, says so instead (RFC 9110 §10.1.1).
  HttpDecodeStep need_more() {
    if (parser && parser->is_header_done() && !continue_reported && parser->get().version() == 11 &&
        core::iequals(parser->get()[http::field::expect], "100-continue")) {
      continue_reported = true;
      HttpDecodeStep step;
      step.kind = HttpDecodeStep::Kind::continue_expected;
      return step;
    }
    compact();
    return {};
  }
};

HttpDecodeStep HttpRequestDecoder::Impl::finish() {
  auto& message = parser->get();
  HttpDecodeStep step;
  step.kind = HttpDecodeStep::Kind::request;
  HttpRequest& request = step.request;
  request.version = message.version();
  if (request.version != 10 && request.version != 11) {
    return fail(HttpDecodeError::bad_version);
  }
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  int hosts = 0;
  std::string_view host_value;
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (field.name() == http::field::host) {
      ++hosts;
      host_value = field.value();
    }
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with several, gets 400; so does an
  // invalid Host value.
  if (hosts > 1 || (hosts == 0 && request.version == 11)) {
    return fail(HttpDecodeError::bad_request);
  }
  if (hosts == 1) {
    request.host = normalize_http_host(host_value);
    if (request.host.empty() && !host_value.empty()) {
      return fail(HttpDecodeError::bad_request);
    }
  }
  request.body = std::move(message.body());
  step.keep_alive = message.keep_alive();
  parser.reset();
  return step;
}

HttpRequestDecoder::HttpRequestDecoder(std::size_t max_header_bytes, std::size_t max_body_bytes)
    : impl_(std::make_unique<Impl>(max_header_bytes, max_body_bytes)) {}

HttpRequestDecoder::~HttpRequestDecoder() = default;

void HttpRequestDecoder::feed(std::string_view bytes) {
  if (!impl_->failed) {
    impl_->buffer.append(bytes);
  }
}

bool HttpRequestDecoder::partial() const {
  return !impl_->failed && impl_->start < impl_->buffer.size();
}

HttpDecodeStep HttpRequestDecoder::next() {
  Impl& d = *impl_;
  if (d.failed) {
    return d.fail(*d.failed);
  }
  for (;;) {
    if (d.start == d.buffer.size() && !d.parser) {
      d.compact();
      return {};
    }
    if (!d.parser) {
      d.begin();
    }
    // Beast 1.81 asserts (in builds with assertions) when a last-chunk it has seen is offered
    // again with fewer than 5 bytes. A chunked body cannot end in fewer ("0\r\n\r\n"), so
    // waiting for 5 unconsumed bytes stalls no valid request.
    if (d.parser->is_header_done() && d.parser->chunked() &&
        d.buffer.size() - d.start < kMinChunkedTail) {
      return d.need_more();
    }
    boost::system::error_code ec;
    const std::size_t used = d.parser->put(
        boost::asio::buffer(d.buffer.data() + d.start, d.buffer.size() - d.start), ec);
    d.start += used;
    if (ec && ec != http::error::need_more) {
      return d.fail(map_error(ec, std::string_view(d.buffer).substr(d.start)));
    }
    if (d.parser->is_done()) {
      HttpDecodeStep step = d.finish();
      d.compact();
      return step;
    }
    if (!ec && used > 0 && d.start < d.buffer.size()) {
      continue;  // the head is done and body bytes follow
    }
    return d.need_more();
  }
}

std::string_view http_reason(unsigned status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

std::string_view http_date_now() {
  struct Cached {
    time_t second = -1;
    std::array<char, 32> text{};
    std::size_t size = 0;
  };
  thread_local Cached cached;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  if (ts.tv_sec != cached.second) {
    tm parts{};
    ::gmtime_r(&ts.tv_sec, &parts);
    cached.size =
        ::strftime(cached.text.data(), cached.text.size(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached.second = ts.tv_sec;
  }
  return {cached.text.data(), cached.size};
}

void append_http_response(std::string& out, const HttpResponse& response, HttpFraming framing,
                          std::string_view date) {
  const unsigned status = response.status;
  std::array<char, 24> digits{};
  out += "HTTP/1.1 ";
  out.append(digits.data(),
             std::to_chars(digits.data(), digits.data() + digits.size(), status).ptr);
  out += ' ';
  out += http_reason(status);
  out += "\r\nDate: ";
  out += date;
  out += "\r\n";
  // RFC 9110 §8.6: no Content-Length in 1xx and 204 responses; 304 has no body either.
  const bool bodyless = status < 200 || status == 204 || status == 304;
  if (!bodyless) {
    out += "Content-Length: ";
    out.append(
        digits.data(),
        std::to_chars(digits.data(), digits.data() + digits.size(), response.body.size()).ptr);
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    if (core::iequals(name, "content-length") || core::iequals(name, "date") ||
        core::iequals(name, "transfer-encoding") || core::iequals(name, "connection") ||
        name.empty() || has_crlf_or_nul(name) || has_crlf_or_nul(value)) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!response.head && !bodyless) {
    out += response.body;
  }
}

}  // namespace mtasts::net
