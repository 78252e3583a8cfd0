#include "cache/policy_cache_entries.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace mtasts::core {
namespace {

constexpr std::size_t kMinIndex = 16;  // cells; a power of two

std::uint32_t hash_of(std::string_view domain) noexcept {
  const std::uint64_t h = std::hash<std::string_view>{}(domain);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::uint32_t cell_hash(std::uint64_t cell) noexcept {
  return static_cast<std::uint32_t>(cell >> 32);
}

std::uint32_t cell_slot(std::uint64_t cell) noexcept {
  return static_cast<std::uint32_t>(cell) - 1;
}

std::uint64_t make_cell(std::uint32_t hash, std::uint32_t slot) noexcept {
  return (std::uint64_t{hash} << 32) | (std::uint64_t{slot} + 1);
}

std::size_t list_index(Recency list) noexcept {
  return static_cast<std::size_t>(list);
}

}  // namespace

void DomainKey::assign(std::string_view text) {
  reset();
  if (text.size() < bytes_.size()) {
    std::memcpy(bytes_.data(), text.data(), text.size());
    bytes_.back() = static_cast<char>(text.size());
    return;
  }
  const Heap heap{new char[text.size()], text.size()};
  std::memcpy(heap.data, text.data(), text.size());
  std::memcpy(bytes_.data(), &heap, sizeof heap);
  bytes_.back() = static_cast<char>(kOnHeap);
}

void DomainKey::reset() noexcept {
  if (static_cast<std::uint8_t>(bytes_.back()) == kOnHeap) {
    Heap heap{};
    std::memcpy(&heap, bytes_.data(), sizeof heap);
    delete[] heap.data;
  }
  bytes_.back() = 0;
}

std::string_view DomainKey::view() const noexcept {
  const auto tag = static_cast<std::uint8_t>(bytes_.back());
  if (tag != kOnHeap) {
    return {bytes_.data(), tag};
  }
  Heap heap{};
  std::memcpy(&heap, bytes_.data(), sizeof heap);
  return {heap.data, heap.size};
}

PolicyCache::Entry* PolicyCache::Entries::find(std::string_view domain) noexcept {
  const auto* self = this;
  return const_cast<Entry*>(self->find(domain));
}

const PolicyCache::Entry* PolicyCache::Entries::find(std::string_view domain) const noexcept {
  if (size_ == 0) {
    return nullptr;
  }
  const std::uint32_t hash = hash_of(domain);
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint64_t cell = index_[i];
    if (cell == 0) {
      return nullptr;
    }
    if (cell_hash(cell) == hash) {
      const Entry& entry = at(cell_slot(cell));
      if (entry.key.view() == domain) {
        return &entry;
      }
    }
  }
}

PolicyCache::Entry& PolicyCache::Entries::insert(std::string_view domain) {
  // At most 80% of the cells in use: linear probing stays short.
  if ((size_ + 1) * 5 > index_.size() * 4) {
    grow_index();
  }
  const std::uint32_t slot = vacant_slot();
  Entry& entry = at(slot);
  entry.key.assign(domain);  // may throw: nothing has changed yet
  if (slot == free_) {
    free_ = entry.next;
  } else {
    ++slots_;
  }
  const std::uint32_t hash = hash_of(domain);
  const std::size_t mask = index_.size() - 1;
  std::size_t i = hash & mask;
  while (index_[i] != 0) {
    i = (i + 1) & mask;
  }
  index_[i] = make_cell(hash, slot);
  ++size_;
  link_front(entry, Recency::others);
  return entry;
}

void PolicyCache::Entries::erase(Entry& entry) noexcept {
  const std::uint32_t hash = hash_of(entry.key.view());
  const std::size_t mask = index_.size() - 1;
  std::size_t hole = hash & mask;
  while (index_[hole] != make_cell(hash, entry.slot)) {
    hole = (hole + 1) & mask;
  }
  // Backward-shift deletion: move up every later cell of the run that may sit in the hole
  // (its home cell is not cyclically within (hole, j]), so probes never meet a gap early.
  for (std::size_t j = (hole + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
    const std::size_t home = cell_hash(index_[j]) & mask;
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = 0;
  --size_;

  unlink(entry);
  entry.policy.reset();
  entry.backoff.reset();
  entry.checked_at = kNever;
  entry.quiet_until = kNever;
  entry.quiet_reason = Reason::negative_hit;
  entry.key.reset();
  entry.next = free_;
  free_ = entry.slot;
}

void PolicyCache::Entries::to_front(Entry& entry, Recency list) noexcept {
  if (entry.list == list && head_[list_index(list)] == entry.slot) {
    return;  // the usual case of a hit: nothing to relink
  }
  unlink(entry);
  link_front(entry, list);
}

const PolicyCache::Entry* PolicyCache::Entries::first(Recency list) const noexcept {
  const std::uint32_t slot = head_[list_index(list)];
  return slot == kNone ? nullptr : &at(slot);
}

const PolicyCache::Entry* PolicyCache::Entries::next(const Entry& entry) const noexcept {
  return entry.next == kNone ? nullptr : &at(entry.next);
}

PolicyCache::Entry* PolicyCache::Entries::last(Recency list) noexcept {
  const std::uint32_t slot = tail_[list_index(list)];
  return slot == kNone ? nullptr : &at(slot);
}

std::uint32_t PolicyCache::Entries::vacant_slot() {
  if (free_ != kNone) {
    return free_;
  }
  if (slots_ == kNone) {
    throw std::length_error("PolicyCache: too many entries");
  }
  if (slots_ / kChunk == chunks_.size()) {
    chunks_.push_back(std::make_unique<Entry[]>(kChunk));
    for (std::uint32_t i = 0; i < kChunk; ++i) {
      chunks_.back()[i].slot = slots_ + i;
    }
  }
  return slots_;
}

void PolicyCache::Entries::grow_index() {
  std::vector<std::uint64_t> grown(std::max(kMinIndex, index_.size() * 2), 0);
  const std::size_t mask = grown.size() - 1;
  for (const std::uint64_t cell : index_) {
    if (cell != 0) {
      std::size_t i = cell_hash(cell) & mask;
      while (grown[i] != 0) {
        i = (i + 1) & mask;
      }
      grown[i] = cell;
    }
  }
  index_ = std::move(grown);
}

void PolicyCache::Entries::link_front(Entry& entry, Recency list) noexcept {
  std::uint32_t& head = head_[list_index(list)];
  entry.list = list;
  entry.prev = kNone;
  entry.next = head;
  if (head != kNone) {
    at(head).prev = entry.slot;
  } else {
    tail_[list_index(list)] = entry.slot;
  }
  head = entry.slot;
}

void PolicyCache::Entries::unlink(Entry& entry) noexcept {
  const std::size_t list = list_index(entry.list);
  if (entry.prev != kNone) {
    at(entry.prev).next = entry.next;
  } else {
    head_[list] = entry.next;
  }
  if (entry.next != kNone) {
    at(entry.next).prev = entry.prev;
  } else {
    tail_[list] = entry.prev;
  }
}

}  // namespace mtasts::core
