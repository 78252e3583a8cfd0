#pragma once

// The message layer of http_server.hpp, without I/O: an incremental request decoder (bytes in,
// complete requests out, in order) and the response writer. The decoder is fed untrusted bytes
// straight from the network (fuzz target `http_request`).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mtasts/net/http/http_server.hpp"

namespace mtasts::net {

enum class HttpDecodeError {
  bad_request,     // 400: grammar, framing (e.g. Transfer-Encoding with Content-Length), Host
  head_too_large,  // 431: the head exceeds max_header_bytes (RFC 6585 §5)
  body_too_large,  // 413: the body exceeds max_body_bytes (RFC 9110 §15.5.14)
  bad_version,     // 505: a version other than HTTP/1.0 and HTTP/1.1 (RFC 9110 §15.6.6)
};

// The status code the server answers an HttpDecodeError with.
[[nodiscard]] unsigned http_decode_error_status(HttpDecodeError error);

struct HttpDecodeStep {
  enum class Kind {
    need_more,          // no complete request buffered
    request,            // `request` is the next request; `keep_alive` from its version and
                        // Connection field (RFC 9112 §9.3)
    continue_expected,  // the head of a request with "Expect: 100-continue" and a body is
                        // complete: send "100 Continue", then call next() again (reported once)
    error,              // the connection cannot go on: answer `error`, then close
  };
  Kind kind = Kind::need_more;
  HttpRequest request;
  bool keep_alive = false;
  HttpDecodeError error = HttpDecodeError::bad_request;
};

class HttpRequestDecoder {
 public:
  HttpRequestDecoder(std::size_t max_header_bytes, std::size_t max_body_bytes);
  ~HttpRequestDecoder();
  HttpRequestDecoder(const HttpRequestDecoder&) = delete;
  HttpRequestDecoder& operator=(const HttpRequestDecoder&) = delete;

  // Appends bytes read from the connection.
  void feed(std::string_view bytes);

  // The next step. After an error every call returns the same error.
  [[nodiscard]] HttpDecodeStep next();

  // True while bytes of an unfinished request are buffered.
  [[nodiscard]] bool partial() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Host field as HttpRequest::host holds it: lowercased, without ":port" and without a
// trailing dot ("[v6]" keeps its brackets). Empty when the value is not a valid host.
[[nodiscard]] std::string normalize_http_host(std::string_view value);

// The reason phrase of a status code ("Not Found"); "" for codes this server never sends.
[[nodiscard]] std::string_view http_reason(unsigned status);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7),
// formatted once per second per thread.
[[nodiscard]] std::string_view http_date_now();

struct HttpFraming {
  bool close = false;       // add "Connection: close"
  bool keep_alive = false;  // add "Connection: keep-alive" (an HTTP/1.0 client asked for it)
};

// Appends the response: status line, Date, Content-Length (but 1xx, 204 and 304), the
// handler's fields (framing fields and fields with CR, LF or NUL skipped), the Connection
// field, the empty line, and the body unless `response.head`.
void append_http_response(std::string& out, const HttpResponse& response, HttpFraming framing,
                          std::string_view date);

}  // namespace mtasts::net
