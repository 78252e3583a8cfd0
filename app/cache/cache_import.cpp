#include "cache/cache_import.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "cache/cache_config.hpp"
#include "cache/cache_output.hpp"
#include "cache/peer_cache_row.hpp"
#include "exit_codes.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/store/peer_sqlite_cache.hpp"
#include "mtasts/store/policy_store.hpp"

namespace mtasts::app {
namespace {

constexpr std::size_t kPageRows = 500;
constexpr std::size_t kOutcomes = 6;

// Whether the run writes to the target store (no with --dry-run).
enum class Writing { yes, no };

struct RowResult {
  std::int64_t rowid = 0;
  std::string domain;  // as the peer wrote it when the row is skipped
  ImportOutcome outcome = ImportOutcome::skipped;
  std::optional<store::StoredPolicy> policy;  // the row as mtasts stores it (not skipped)
  std::string error;                          // why it was skipped
};

struct ImportRun {
  std::vector<RowResult> rows;
  std::array<std::size_t, kOutcomes> counts{};
};

int fail_with(const std::string& message) {
  std::cerr << "mtasts cache import: " << message << "\n";
  return kExitUsage;
}

std::size_t count(const ImportRun& run, ImportOutcome outcome) {
  return run.counts[static_cast<std::size_t>(outcome)];
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

// The store to write to; nullptr for a dry run on a SQLite file that does not exist yet
// (looking must not create it: it holds nothing).
store::Result<std::unique_ptr<store::PolicyStore>> open_target(const store::StoreConfig& config,
                                                               Writing writing) {
  std::error_code ec;
  if (writing == Writing::no && config.type == store::StoreType::sqlite &&
      !std::filesystem::exists(config.filename, ec)) {
    return std::unique_ptr<store::PolicyStore>();
  }
  return store::open_store(config);
}

// One row: mapped, compared with what the store holds, written unless nothing changes.
store::Result<RowResult> import_row(const store::PeerCacheRow& row, store::PolicyStore* target,
                                    Writing writing, store::TimePoint now) {
  RowResult result{row.rowid, row.domain, ImportOutcome::skipped, std::nullopt, std::string()};
  auto stored = policy_from_peer_row(row, now);
  if (!stored) {
    result.error = stored.error();
    return result;
  }
  std::optional<store::StoredPolicy> held;
  if (target != nullptr) {
    auto got = target->get(stored->domain, now);
    if (!got) {
      return tl::unexpected(got.error());
    }
    held = std::move(*got);
  }
  result.domain = stored->domain;
  result.outcome = import_outcome(*stored, held, now);
  const bool writes =
      result.outcome == ImportOutcome::added || result.outcome == ImportOutcome::replaced;
  if (writes && writing == Writing::yes) {
    if (auto put = target->put(*stored); !put) {
      return tl::unexpected(put.error());
    }
  }
  result.policy = std::move(*stored);
  return result;
}

store::Result<ImportRun> import_all(store::PeerSqliteCache& peer, store::PolicyStore* target,
                                    Writing writing, store::TimePoint now) {
  ImportRun run;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    auto page = peer.page(after, kPageRows);
    if (!page) {
      return tl::unexpected(page.error());
    }
    if (page->empty()) {
      return run;
    }
    for (const store::PeerCacheRow& row : *page) {
      after = row.rowid;
      auto result = import_row(row, target, writing, now);
      if (!result) {
        return tl::unexpected(result.error());
      }
      ++run.counts[static_cast<std::size_t>(result->outcome)];
      run.rows.push_back(std::move(*result));
    }
  }
}

std::string mode_of(const store::StoredPolicy& stored) {
  const auto policy = core::parse_policy(stored.body);
  return policy ? std::string(core::mode_name(policy->mode)) : "invalid";
}

nlohmann::json run_json(const ImportRun& run, const ImportOptions& options,
                        const std::string& target) {
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t i = 0; i < kOutcomes; ++i) {
    counts[std::string(outcome_name(static_cast<ImportOutcome>(i)))] = run.counts[i];
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const RowResult& row : run.rows) {
    nlohmann::json entry = {{"row", row.rowid},
                            {"domain", row.domain},
                            {"outcome", std::string(outcome_name(row.outcome))}};
    if (row.policy) {
      entry["id"] = row.policy->id;
      entry["mode"] = mode_of(*row.policy);
      entry["fetched_at"] = rfc3339(row.policy->fetched_at);
      entry["expires_at"] = rfc3339(row.policy->expires_at);
    } else {
      entry["error"] = row.error;
    }
    rows.push_back(std::move(entry));
  }
  return {{"source", options.peer_file}, {"target", target}, {"dry_run", options.dry_run},
          {"rows", run.rows.size()},     {"counts", counts}, {"entries", rows}};
}

void print_text(const ImportRun& run, const ImportOptions& options, const std::string& target) {
  for (const RowResult& row : run.rows) {
    if (row.outcome == ImportOutcome::skipped) {
      std::cerr << "mtasts cache import: skipped row " << row.rowid << " (" << row.domain
                << "): " << row.error << "\n";
      continue;
    }
    std::cout << outcome_name(row.outcome) << "  " << row.domain << "  " << mode_of(*row.policy)
              << "  expires " << rfc3339(row.policy->expires_at) << "  id " << row.policy->id
              << "\n";
  }
  const std::size_t written =
      count(run, ImportOutcome::added) + count(run, ImportOutcome::replaced);
  std::cout << (options.dry_run ? "would write " : "wrote ") << written << " of " << run.rows.size()
            << (run.rows.size() == 1 ? " policy" : " policies") << " from " << options.peer_file
            << " into " << target << ": " << count(run, ImportOutcome::added) << " added, "
            << count(run, ImportOutcome::replaced) << " replaced, "
            << count(run, ImportOutcome::unchanged) << " unchanged, "
            << count(run, ImportOutcome::kept_newer) << " kept (newer in the cache), "
            << count(run, ImportOutcome::expired) << " expired, "
            << count(run, ImportOutcome::skipped) << " skipped"
            << (options.dry_run ? " (dry run: nothing written)" : "") << "\n";
}

}  // namespace

int run_cache_import(const ImportOptions& options) {
  auto target = load_cache_target(
      options.config_path.empty() ? std::nullopt : std::optional<std::string>(options.config_path));
  if (!target) {
    return fail_with(target.error());
  }
  for (const std::string& warning : target->warnings) {
    std::cerr << "mtasts cache import: warning: " << warning << "\n";
  }
  const store::StoreConfig& config = target->store;
  const std::string where = describe_store(config);
  if (config.type == store::StoreType::memory) {
    return fail_with("the configured cache (" + target->source +
                     ") is internal: it lives in the daemon's memory only; import into a "
                     "sqlite, redis or postgres cache");
  }
  if (config.type == store::StoreType::sqlite && same_file(options.peer_file, config.filename)) {
    return fail_with(options.peer_file +
                     " is both the peer's cache and the one configured for mtasts; give mtasts "
                     "its own file (cache.options.filename) so the peer's stays as it was");
  }
  auto peer = store::PeerSqliteCache::open(options.peer_file, config.timeout);
  if (!peer) {
    return fail_with(peer.error().message);
  }
  const Writing writing = options.dry_run ? Writing::no : Writing::yes;
  auto opened = open_target(config, writing);
  if (!opened) {
    return fail_with(opened.error().message);
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto run = import_all(**peer, opened->get(), writing, now);
  if (!run) {
    return fail_with("stopped: " + run.error().message +
                     " (rows before this one may have been written; importing again is safe)");
  }
  if (options.json) {
    std::cout << run_json(*run, options, where)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    print_text(*run, options, where);
  }
  return count(*run, ImportOutcome::skipped) == 0 ? kExitOk : kExitNegative;
}

}  // namespace mtasts::app
