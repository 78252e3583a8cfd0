#pragma once

// Visits a store sorted by domain one page at a time (keyset pagination: "domain > last"), so
// neither the store nor the caller ever holds more than one page, and the store's lock is free
// while the visitor runs.

#include <functional>
#include <string>
#include <vector>

#include "mtasts/store/policy_store.hpp"

namespace mtasts::store {

inline constexpr std::size_t kVisitPageSize = 512;

// `fetch(after, limit)` returns the next at most `limit` policies with a domain after `after`,
// in domain order, as Result<std::vector<StoredPolicy>>.
template <class Fetch>
Result<std::size_t> visit_keyset_pages(Fetch fetch,
                                       const std::function<void(const StoredPolicy&)>& visitor) {
  std::size_t visited = 0;
  std::string after;
  for (;;) {
    Result<std::vector<StoredPolicy>> page = fetch(after, kVisitPageSize);
    if (!page) {
      return tl::unexpected(page.error());
    }
    for (const StoredPolicy& policy : *page) {
      visitor(policy);
    }
    visited += page->size();
    if (page->size() < kVisitPageSize) {
      return visited;
    }
    after = page->back().domain;
  }
}

}  // namespace mtasts::store
