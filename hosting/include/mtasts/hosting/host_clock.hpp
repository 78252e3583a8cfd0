#pragma once

// The wall clock of `mtasts host`, behind an interface so that tests move time by hand. Times
// are whole seconds (core::HostTime), as the store keeps them.

#include <chrono>

#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::hosting {

class HostClock {
 public:
  virtual ~HostClock() = default;
  [[nodiscard]] virtual core::HostTime now() const = 0;
};

class SystemHostClock final : public HostClock {
 public:
  [[nodiscard]] core::HostTime now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

}  // namespace mtasts::hosting
