#include "memory_store.hpp"
#include "mtasts/store/policy_store.hpp"
#include "postgres_store.hpp"
#include "redis_store.hpp"
#include "sqlite_store.hpp"

namespace mtasts::store {
namespace {

template <class Store>
Result<std::unique_ptr<PolicyStore>> upcast(Result<std::unique_ptr<Store>> opened) {
  if (!opened) {
    return tl::unexpected(opened.error());
  }
  return std::unique_ptr<PolicyStore>(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<PolicyStore>> open_store(const StoreConfig& config) {
  switch (config.type) {
    case StoreType::memory:
      return std::unique_ptr<PolicyStore>(std::make_unique<MemoryStore>(config.cache_size));
    case StoreType::sqlite:
      return upcast(SqliteStore::open(config));
    case StoreType::redis:
      return upcast(RedisStore::open(config));
    case StoreType::postgres:
      return upcast(PostgresStore::open(config));
  }
  return fail(Errc::invalid_config, "cache.type: unknown store type");
}

}  // namespace mtasts::store
