#include "mtasts/store/hosting_store.hpp"
#include "postgres_hosting_store.hpp"
#include "sqlite_hosting_store.hpp"

namespace mtasts::store {

Result<std::unique_ptr<HostingStore>> open_hosting_store(const HostingStoreConfig& config) {
  switch (config.type) {
    case HostingStoreType::sqlite:
      return open_sqlite_hosting_store(config);
    case HostingStoreType::postgres:
      return open_postgres_hosting_store(config);
  }
  return fail(Errc::invalid_config, "hosting store: unknown store type");
}

}  // namespace mtasts::store
