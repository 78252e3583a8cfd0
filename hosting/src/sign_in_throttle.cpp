#include "mtasts/hosting/sign_in_throttle.hpp"

#include <algorithm>

namespace mtasts::hosting {

std::chrono::seconds SignInThrottle::wait(std::string_view peer, core::HostTime now) {
  auto table = table_.lock();
  const auto found = table->find(peer);
  if (found == table->end()) {
    return std::chrono::seconds(0);
  }
  const core::HostTime end = found->second.first + limits_.window;
  if (now >= end) {
    table->erase(found);
    return std::chrono::seconds(0);
  }
  if (found->second.failures < limits_.failures) {
    return std::chrono::seconds(0);
  }
  // Rounded up: a client that waits what it is told is not refused again.
  const auto left = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(left, std::chrono::seconds(1));
}

bool SignInThrottle::failed(std::string_view peer, core::HostTime now) {
  auto table = table_.lock();
  auto found = table->find(peer);
  if (found != table->end() && now >= found->second.first + limits_.window) {
    found->second = Entry{now, 0};
  }
  if (found == table->end()) {
    if (table->size() >= limits_.max_addresses) {
      // Expired windows first; else the window that started first.
      std::erase_if(*table,
                    [&](const auto& item) { return now >= item.second.first + limits_.window; });
      if (!table->empty() && table->size() >= limits_.max_addresses) {
        table->erase(std::min_element(
            table->begin(), table->end(),
            [](const auto& a, const auto& b) { return a.second.first < b.second.first; }));
      }
    }
    found = table->emplace(std::string(peer), Entry{now, 0}).first;
  }
  return ++found->second.failures == limits_.failures;
}

std::size_t SignInThrottle::size() {
  return table_.lock()->size();
}

}  // namespace mtasts::hosting
