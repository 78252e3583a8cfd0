#pragma once

// The peer's `internal` cache: a map in this process, lost on restart. Each entry is its
// domain and the compact value of value_codec.hpp, so 100,000 policies stay a few tens of MiB.

#include <map>
#include <mutex>
#include <string>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/store/policy_store.hpp"

namespace mtasts::store {

class MemoryStore final : public PolicyStore {
 public:
  // Holds at most `capacity` entries (at least 1); beyond it, put() drops the entries that
  // had expired when the new policy was fetched, or else the one expiring first.
  explicit MemoryStore(std::size_t capacity);

  Result<std::optional<StoredPolicy>> get(std::string_view domain, TimePoint now) override;
  Result<void> put(const StoredPolicy& policy) override;
  Result<bool> erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> list(TimePoint now, std::size_t limit) override;
  Result<std::size_t> visit(TimePoint now,
                            const std::function<void(const StoredPolicy&)>& visitor) override;
  Result<std::size_t> purge_expired(TimePoint now) override;
  std::string_view name() const override { return "memory"; }

 private:
  struct Entry {
    std::string value;  // encode_policy_value()
    TimePoint fetched_at;
    TimePoint expires_at;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  // Entries not expired at `now` with a domain after `after`, at most `limit`, in order.
  std::vector<StoredPolicy> page(TimePoint now, const std::string& after, std::size_t limit);
  static void make_room(Map& entries, std::size_t capacity, TimePoint now);

  std::size_t capacity_;
  core::Guarded<Map, std::mutex> entries_;
};

}  // namespace mtasts::store
