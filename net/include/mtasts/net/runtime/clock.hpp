#pragma once

// The wall clock, behind an interface so that tests move time by hand (tests/support's
// FakeClock). Times are whole seconds since the epoch: core::TimePoint and core::HostTime are
// both this type. The policy service judges policy lifetimes by it, `mtasts host` stamps rows
// and plans renewals by it, and the daemon's store cooldown counts on it. Timeouts do not: they
// run on the executor's steady clock.

#include <chrono>

namespace mtasts::net {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time, truncated to whole seconds. Never throws.
  [[nodiscard]] virtual std::chrono::sys_seconds now() const = 0;
};

// std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::sys_seconds now() const override;
};

}  // namespace mtasts::net
