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

 private:
  Result<std::optional<StoredPolicy>> do_get(std::string_view domain, TimePoint now) override;
  Result<void> do_put(const StoredPolicy& policy) override;
  Result<bool> do_erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> page(const PageQuery& query) override;
  Result<std::size_t> do_purge(TimePoint now) override;

  struct Entry {
    std::string value;  // encode_policy_value()
    TimePoint fetched_at;
    TimePoint expires_at;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  static void make_room(Map& entries, std::size_t capacity, TimePoint now);

  std::size_t capacity_;
  core::Guarded<Map, std::mutex> entries_;
};

}  // namespace mtasts::store
