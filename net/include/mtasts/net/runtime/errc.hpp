#pragma once

// The error codes of mtasts::net: why talking to the network, the TLS library or the local
// system failed. They travel in core::Error (core/base/result.hpp) like core's own codes, so a
// net function still returns core::Result<T>; core::Errc stays for values that do not parse or
// are not allowed.

#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::net {

enum class Errc {
  io,        // a local file cannot be read or written: CA file, key file, log file
  system,    // the system or the TLS library failed: no randomness, a context or socket that
             // cannot be set up, an HMAC that cannot be computed
  connect,   // the peer cannot be reached: name not found, refused, reset, closed early
  tls,       // the TLS handshake or the peer's certificate failed
  protocol,  // the peer's answer breaks its protocol: a malformed DNS, HTTP or ACME message
  refused,   // the peer understood and said no: a DNS rcode, an ACME problem, an HTTP status
  timeout,   // the peer did not answer before the deadline
  internal,  // mtasts itself failed: an unexpected exception, a coroutine that did not finish
};

// "io", "system", "connect", "tls", "protocol", "refused", "timeout", "internal".
[[nodiscard]] std::string_view errc_name(Errc code);

// errc_name for the int a net ErrorCode holds.
[[nodiscard]] std::string_view net_code_name(int value);

inline constexpr core::ErrorDomain kNetErrors{"net", &net_code_name};

constexpr const core::ErrorDomain& error_domain(Errc) {
  return kNetErrors;
}

}  // namespace mtasts::net
