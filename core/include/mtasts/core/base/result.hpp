#pragma once

// The one error type of mtasts::core and the Result alias every fallible function returns.
// Only the members std::expected also has are used (and_then, or_else, transform, value_or),
// so the switch to the standard type is a one-line change here.

#include <string>
#include <tl/expected.hpp>

namespace mtasts::core {

// Error classes of the core layer. Kept flat and small; the precise reason for a parse
// failure travels in Finding codes (findings.hpp), not here.
enum class Errc {
  invalid_syntax,    // input does not follow the grammar it claims to follow
  invalid_value,     // grammatical, but a value is out of range or not allowed
  not_a_host_name,   // a name that is not an RFC 5321 host name (after IDNA)
  too_large,         // input exceeds a configured or protocol size limit
  no_record,         // no candidate DNS record among the answers
  multiple_records,  // more than one candidate record: RFC says "no policy"
};

struct Error {
  Errc code;
  std::string message;  // one sentence an administrator can act on
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace mtasts::core
