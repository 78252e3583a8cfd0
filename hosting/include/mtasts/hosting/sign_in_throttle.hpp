#pragma once

// Failed credentials per client address, for the admin API and the console's sign-in
// (docs/console.md "Sign-in and sessions"): after `failures` wrong tokens from one address within
// `window` of the first of them, that address is refused (429) until the window has passed,
// whatever it presents, so a token cannot be guessed faster than `failures` per window. Behind a
// reverse proxy every client has the proxy's address: a guesser there locks out the others for
// the rest of one window, never longer.
//
// The table holds at most `max_addresses`; when full, the address whose window started first
// makes room. Thread-safe.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::hosting {

struct SignInThrottleLimits {
  std::size_t failures = 10;
  std::chrono::seconds window{std::chrono::minutes(5)};
  std::size_t max_addresses = 10000;
};

class SignInThrottle {
 public:
  explicit SignInThrottle(SignInThrottleLimits limits = {}) : limits_(limits) {}

  // How long `peer` must wait at `now` before its credentials are looked at again; zero when it
  // may try now.
  [[nodiscard]] std::chrono::seconds wait(std::string_view peer, core::HostTime now);

  // Counts a wrong credential from `peer` at `now`; true when this one reached the limit (the
  // moment worth a log line).
  bool failed(std::string_view peer, core::HostTime now);

  [[nodiscard]] std::size_t size();
  [[nodiscard]] const SignInThrottleLimits& limits() const { return limits_; }

 private:
  struct Entry {
    core::HostTime first{};
    std::size_t failures = 0;
  };
  SignInThrottleLimits limits_;
  core::Guarded<std::map<std::string, Entry, std::less<>>, std::mutex> table_;
};

}  // namespace mtasts::hosting
