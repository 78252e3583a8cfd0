#include "mtasts/store/policy_store.hpp"

namespace mtasts::store {
namespace {

constexpr std::size_t kVisitPageSize = 512;

}  // namespace

Result<void> PolicyStore::put(const StoredPolicy& policy) {
  if (auto valid = validate(policy); !valid) {
    return valid;
  }
  return do_put(policy);
}

Result<std::size_t> PolicyStore::do_visit(TimePoint now, const Visitor& visitor) {
  std::size_t visited = 0;
  PageQuery query{now, std::string(), kVisitPageSize};
  for (;;) {
    Result<std::vector<StoredPolicy>> batch = page(query);
    if (!batch) {
      return tl::unexpected(batch.error());
    }
    for (const StoredPolicy& policy : *batch) {
      visitor(policy);
    }
    visited += batch->size();
    if (batch->size() < kVisitPageSize) {
      return visited;
    }
    query.after = batch->back().domain;
  }
}

}  // namespace mtasts::store
