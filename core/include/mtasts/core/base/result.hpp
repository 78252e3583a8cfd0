#pragma once

// The one error type of mtasts and the Result alias every fallible function returns.
// Only the members std::expected also has are used (and_then, or_else, transform, value_or),
// so the switch to the standard type is a one-line change here.
//
// Each layer has one small flat enum of error codes (core::Errc here, net::Errc in the
// network layer); an Error carries a code of any of them as an ErrorCode, which compares equal
// to the enum value it was made from: `error.code == core::Errc::invalid_value`.

#include <concepts>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <type_traits>

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

// "invalid_syntax", "invalid_value", ...: stable, for logs and JSON.
[[nodiscard]] std::string_view errc_name(Errc code);

// Describes one layer's enum of codes. Each layer defines one as an inline constexpr object
// and an error_domain(TheirErrc) overload returning it, found by argument-dependent lookup.
struct ErrorDomain {
  std::string_view name;                     // "core", "net"
  std::string_view (*code_name)(int value);  // the stable name of a code of this layer
};

// errc_name for the int a core ErrorCode holds.
[[nodiscard]] std::string_view core_code_name(int value);

inline constexpr ErrorDomain kCoreErrors{"core", &core_code_name};

constexpr const ErrorDomain& error_domain(Errc) {
  return kCoreErrors;
}

template <class E>
concept LayerErrc = std::is_enum_v<E> && requires(E code) {
  { error_domain(code) } -> std::same_as<const ErrorDomain&>;
};

// A code of some layer's Errc.
class ErrorCode {
 public:
  template <LayerErrc E>
  constexpr ErrorCode(E code)  // NOLINT(google-explicit-constructor): a code is its enum value
      : domain_(&error_domain(code)), value_(static_cast<int>(code)) {}

  // "core", "net".
  [[nodiscard]] constexpr std::string_view domain() const { return domain_->name; }
  // The code's stable name, e.g. "invalid_value" or "timeout".
  [[nodiscard]] std::string_view name() const { return domain_->code_name(value_); }

  friend constexpr bool operator==(const ErrorCode& a, const ErrorCode& b) {
    return a.value_ == b.value_ && a.domain_->name == b.domain_->name;
  }

 private:
  const ErrorDomain* domain_;
  int value_;
};

struct Error {
  ErrorCode code;
  std::string message;  // one sentence an administrator can act on
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace mtasts::core
