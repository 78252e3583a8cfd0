#pragma once

// The storage behind PolicyCache (private to policy_cache*.cpp): its entries by domain and two
// recency lists. The daemon holds 100,000 domains within 64 MiB in all, so an entry
// is 80 bytes plus 10 of index, and the policy it points to about 200 (bench/memory).
//
// Entries live in fixed chunks of a slab, so they never move; the recency lists link them by
// slot number inside the entries (no node per entry); the index is an open-addressing table
// of 8-byte cells (slot and 32-bit hash), probed linearly, so a lookup reads one entry. A
// domain of up to 23 bytes is held inside its entry. Slots and index cells of erased entries
// are reused, never returned: the cache's capacity bounds them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/cache/policy_cache.hpp"

namespace mtasts::core {

// A time an entry may not have (no TXT answer yet, no quiet period): compares before any other.
inline constexpr TimePoint kNever = TimePoint::min();

// A domain name held in 24 bytes: up to 23 in place, longer ones on the heap.
class DomainKey {
 public:
  DomainKey() noexcept { bytes_.back() = 0; }
  DomainKey(const DomainKey&) = delete;
  DomainKey& operator=(const DomainKey&) = delete;
  ~DomainKey() { reset(); }

  // Holds a copy of `text` (std::bad_alloc when a long one cannot be copied).
  void assign(std::string_view text);
  void reset() noexcept;
  [[nodiscard]] std::string_view view() const noexcept;

 private:
  static constexpr std::uint8_t kOnHeap = 0xff;
  struct Heap {
    char* data;
    std::size_t size;
  };
  // bytes_[23] is the size of an inline name, or kOnHeap: then bytes_ starts with a Heap.
  alignas(Heap) std::array<char, 24> bytes_;
};

struct PolicyCache::Backoff {
  std::string id;
  Seconds delay{0};
  TimePoint retry_at;
  FetchFailure failure = FetchFailure::fetch_error;
};

// Which recency list holds an entry. Entries holding a usable policy are evicted only when no
// other entry is left: they are costly to rebuild and guard against downgrade (RFC 8461
// §10.2); negative, failed and expired entries go first.
enum class Recency : std::uint8_t { policies, others };

struct PolicyCache::Entry {
  std::shared_ptr<const CachedPolicy> policy;
  TimePoint checked_at = kNever;  // the last TXT answer
  // With nothing usable: answer "no policy" without a step until then, for quiet_reason.
  TimePoint quiet_until = kNever;
  std::unique_ptr<Backoff> backoff;  // rare: kept out of line so entries stay small
  Reason quiet_reason = Reason::negative_hit;

  // Kept by Entries.
  Recency list = Recency::others;
  std::uint32_t slot = 0;  // this entry's
  std::uint32_t prev = 0;  // neighbours in its list (more, less recent), or kNone
  std::uint32_t next = 0;  // (in a free slot: the next free slot)
  DomainKey key;
};

class PolicyCache::Entries {
 public:
  Entries() = default;
  Entries(const Entries&) = delete;
  Entries& operator=(const Entries&) = delete;
  ~Entries() = default;

  [[nodiscard]] Entry* find(std::string_view domain) noexcept;
  [[nodiscard]] const Entry* find(std::string_view domain) const noexcept;
  // A new entry for `domain`, which must be absent, at the front of the `others` list.
  Entry& insert(std::string_view domain);
  // Forgets the entry; references to it are invalid afterwards.
  void erase(Entry& entry) noexcept;
  // Makes the entry the most recent of `list`.
  void to_front(Entry& entry, Recency list) noexcept;

  // Most recent first: first(list), then next(entry) until null.
  [[nodiscard]] const Entry* first(Recency list) const noexcept;
  [[nodiscard]] const Entry* next(const Entry& entry) const noexcept;
  // The least recent entry of `list`, or null.
  [[nodiscard]] Entry* last(Recency list) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  // Entries are held by the hundred thousand: each byte added to one costs 100 KB.
  static_assert(sizeof(void*) != 8 || sizeof(Entry) <= 80);

  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint32_t kChunkBits = 8;  // 256 entries (20 KiB) per chunk
  static constexpr std::uint32_t kChunk = 1u << kChunkBits;

  [[nodiscard]] Entry& at(std::uint32_t slot) noexcept {
    return chunks_[slot >> kChunkBits][slot & (kChunk - 1)];
  }
  [[nodiscard]] const Entry& at(std::uint32_t slot) const noexcept {
    return chunks_[slot >> kChunkBits][slot & (kChunk - 1)];
  }
  // A free slot (erased, or the next never used): the caller takes it.
  std::uint32_t vacant_slot();
  void grow_index();
  void link_front(Entry& entry, Recency list) noexcept;
  void unlink(Entry& entry) noexcept;

  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::uint32_t slots_ = 0;           // slots handed out so far
  std::uint32_t free_ = kNone;        // erased slots, linked by Entry::next
  std::vector<std::uint64_t> index_;  // (hash << 32) | (slot + 1); 0: empty cell
  std::size_t size_ = 0;
  std::array<std::uint32_t, 2> head_{kNone, kNone};  // by Recency: most recent
  std::array<std::uint32_t, 2> tail_{kNone, kNone};  // least recent
};

}  // namespace mtasts::core
