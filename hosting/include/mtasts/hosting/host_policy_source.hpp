#pragma once

// What the policy server's threads read: an immutable snapshot of the bodies served (domain ->
// canonical policy text), swapped whole by the sync loop, and the HTTP-01 key authorizations
// being answered. Readers take the snapshot with one atomic load and never wait for the store
// or the event loop.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mtasts/net/hosting/policy_server.hpp"

namespace mtasts::hosting {

// std::hash on string_view, so that lookups by string_view allocate nothing.
struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, TransparentHash, std::equal_to<>>;

// One generation of served policies; never changed once published.
struct ServedPolicies {
  std::uint64_t generation = 0;
  StringMap<std::shared_ptr<const std::string>> bodies;  // Policy Domain -> body
};

class HostPolicySource final : public net::PolicySource {
 public:
  HostPolicySource();

  [[nodiscard]] std::shared_ptr<const std::string> policy_body(
      std::string_view domain) const override;
  [[nodiscard]] std::optional<std::string> http01_key_authorization(
      std::string_view token) override;

  // Serves `policies` from the next request on.
  void publish(std::shared_ptr<const ServedPolicies> policies);
  [[nodiscard]] std::shared_ptr<const ServedPolicies> current() const;

  void put_http01(std::string token, std::string key_authorization);
  void remove_http01(std::string_view token);
  [[nodiscard]] bool has_http01(std::string_view token) const;

 private:
  std::atomic<std::shared_ptr<const ServedPolicies>> policies_;
  mutable std::mutex http01_mutex_;
  StringMap<std::string> http01_;
};

}  // namespace mtasts::hosting
