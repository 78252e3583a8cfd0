#include "mtasts/hosting/host_policy_source.hpp"

#include <utility>

namespace mtasts::hosting {

HostPolicySource::HostPolicySource() : policies_(std::make_shared<const ServedPolicies>()) {}

std::shared_ptr<const std::string> HostPolicySource::policy_body(std::string_view domain) const {
  const std::shared_ptr<const ServedPolicies> policies = policies_.load(std::memory_order_acquire);
  const auto it = policies->bodies.find(domain);
  return it == policies->bodies.end() ? nullptr : it->second;
}

std::optional<std::string> HostPolicySource::http01_key_authorization(std::string_view token) {
  const std::lock_guard lock(http01_mutex_);
  const auto it = http01_.find(token);
  if (it == http01_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void HostPolicySource::publish(std::shared_ptr<const ServedPolicies> policies) {
  policies_.store(std::move(policies), std::memory_order_release);
}

std::shared_ptr<const ServedPolicies> HostPolicySource::current() const {
  return policies_.load(std::memory_order_acquire);
}

void HostPolicySource::put_http01(std::string token, std::string key_authorization) {
  const std::lock_guard lock(http01_mutex_);
  http01_.insert_or_assign(std::move(token), std::move(key_authorization));
}

void HostPolicySource::remove_http01(std::string_view token) {
  const std::lock_guard lock(http01_mutex_);
  if (const auto it = http01_.find(token); it != http01_.end()) {
    http01_.erase(it);
  }
}

bool HostPolicySource::has_http01(std::string_view token) const {
  const std::lock_guard lock(http01_mutex_);
  return http01_.find(token) != http01_.end();
}

}  // namespace mtasts::hosting
