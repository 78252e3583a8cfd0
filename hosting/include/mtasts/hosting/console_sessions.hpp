#pragma once

// The sessions of the web console (docs/console.md "Sign-in and sessions"): signing in with a
// token of the token file makes a session; its id travels in a cookie (HttpOnly, SameSite=
// Strict), its CSRF token in a header the page sends with every change. The table is kept in
// memory only: a restart signs everyone out, and an id is worthless on another instance.
//
// Ids and CSRF tokens are 32 random bytes (hex). The table keeps the SHA-256 of an id, not the
// id, so neither a memory dump nor the time of a lookup gives one away. A session ends when it
// has not been used for idle_lifetime, at absolute_lifetime after sign-in, or at sign-out; past
// max_sessions, signing in ends the least recently used session.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/hosting/host_tokens.hpp"

namespace mtasts::hosting {

struct ConsoleSessionLimits {
  std::chrono::seconds idle_lifetime{std::chrono::minutes(30)};
  std::chrono::seconds absolute_lifetime{std::chrono::hours(12)};
  std::size_t max_sessions = 10000;
};

// What a request's session cookie stands for.
struct ConsoleSession {
  AdminPrincipal principal;
  std::string csrf;  // the token every change must carry (X-CSRF-Token)
  core::HostTime expires{};
};

// A session just made: the cookie's value and the session.
struct NewConsoleSession {
  std::string id;
  ConsoleSession session;
};

class ConsoleSessions {
 public:
  explicit ConsoleSessions(ConsoleSessionLimits limits = {}) : limits_(limits) {}

  // Makes a session for `principal` at `now`. Errors: Errc::invalid_value when the random
  // generator fails (nothing is made).
  [[nodiscard]] core::Result<NewConsoleSession> open(AdminPrincipal principal, core::HostTime now);

  // The live session of cookie value `id` at `now` (its idle deadline moved on), or nullopt
  // when there is none or it has expired (then it is forgotten).
  [[nodiscard]] std::optional<ConsoleSession> use(std::string_view id, core::HostTime now);

  // Ends the session of `id`; false when there was none.
  bool close(std::string_view id);

  [[nodiscard]] std::size_t size();
  [[nodiscard]] const ConsoleSessionLimits& limits() const { return limits_; }

 private:
  using Digest = std::array<std::uint8_t, 32>;
  struct Entry {
    ConsoleSession session;
    core::HostTime last_used{};
    core::HostTime absolute_end{};
  };
  ConsoleSessionLimits limits_;
  core::Guarded<std::map<Digest, Entry>, std::mutex> table_;
};

// Whether `presented` equals `expected`, in time that depends only on their lengths.
[[nodiscard]] bool same_secret(std::string_view presented, std::string_view expected);

}  // namespace mtasts::hosting
