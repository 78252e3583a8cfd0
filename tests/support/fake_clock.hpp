#pragma once

// A net::Clock that tests move by hand; it never reads the system clock.

#include <chrono>

#include "mtasts/net/runtime/clock.hpp"

namespace mtasts::net::testing {

// An arbitrary fixed start: 2023-11-14T22:13:20Z.
inline constexpr std::chrono::sys_seconds kClockStart{std::chrono::seconds(1'700'000'000)};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::sys_seconds start = kClockStart) : now_(start) {}

  [[nodiscard]] std::chrono::sys_seconds now() const override { return now_; }
  void advance(std::chrono::seconds by) { now_ += by; }

 private:
  std::chrono::sys_seconds now_;
};

}  // namespace mtasts::net::testing
