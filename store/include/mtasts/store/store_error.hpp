#pragma once

// The error type of mtasts::store and the Result alias its fallible functions return. Same
// shape as core::Result (tl::expected, only the members std::expected also has).

#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace mtasts::store {

// Error classes of the store layer; the message carries the backend's own words.
enum class Errc {
  invalid_config,    // a configuration value is missing, malformed or not allowed; names the key
  invalid_argument,  // a policy that cannot be stored: empty domain, oversized body, bad times
  unavailable,       // the server could not be reached, or did not answer within the timeout
  corrupt,           // the database file or a stored value is damaged, or not an mtasts one
  write_failed,      // the database cannot be written: read-only file, permissions, disk full
  incompatible,      // the database was written by a newer mtasts (schema version unknown)
  backend_error,     // the backend refused the operation for another reason (SQL, Redis error)
};

[[nodiscard]] std::string_view errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;  // one sentence an administrator can act on; names the file or server
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace mtasts::store
