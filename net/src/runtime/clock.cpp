#include "mtasts/net/runtime/clock.hpp"

namespace mtasts::net {

std::chrono::sys_seconds SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace mtasts::net
