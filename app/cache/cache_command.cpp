#include "cache/cache_command.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cache/cache_config.hpp"
#include "cache/cache_import.hpp"
#include "cache/cache_output.hpp"
#include "exit_codes.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/store/policy_store.hpp"

namespace mtasts::app {
namespace {

struct CacheOptions {
  std::string config_path;
  bool json = false;
  std::string domain;
  std::size_t limit = 0;
};

enum class Action { list, show, purge, dump };

std::string dumped(const nlohmann::json& json, int indent) {
  // Stored bodies come from a file or server anyone may have written to: never throw on bad
  // UTF-8, replace it.
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int fail_with(const std::string& message) {
  std::cerr << "mtasts cache: " << message << "\n";
  return kExitUsage;
}

core::TimePoint wall_clock_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

int run_list(store::PolicyStore& policies, const CacheOptions& opts, const std::string& where) {
  auto all = policies.list(wall_clock_now(), opts.limit == 0 ? SIZE_MAX : opts.limit);
  if (!all) {
    return fail_with(all.error().message);
  }
  if (opts.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const store::StoredPolicy& stored : *all) {
      out.push_back(policy_entry_json(stored));
    }
    std::cout << dumped(out, 2) << "\n";
    return kExitOk;
  }
  std::cout << list_text(*all) << all->size() << " cached "
            << (all->size() == 1 ? "policy" : "policies") << " in " << where << "\n";
  return kExitOk;
}

int run_show(store::PolicyStore& policies, const CacheOptions& opts, const std::string& where) {
  const core::TimePoint now = wall_clock_now();
  auto stored = policies.get(opts.domain, now);
  if (!stored) {
    return fail_with(stored.error().message);
  }
  if (!*stored) {
    std::cerr << "mtasts cache: no policy for " << opts.domain << " in " << where << "\n";
    return kExitNegative;
  }
  if (opts.json) {
    std::cout << dumped(policy_entry_json(**stored, WithBody::yes), 2) << "\n";
  } else {
    std::cout << show_text(**stored, now, where);
  }
  return kExitOk;
}

int run_purge(store::PolicyStore& policies, const CacheOptions& opts, const std::string& where) {
  auto erased = policies.erase(opts.domain);
  if (!erased) {
    return fail_with(erased.error().message);
  }
  if (opts.json) {
    std::cout << dumped({{"domain", opts.domain}, {"purged", *erased}}, -1) << "\n";
  } else if (*erased) {
    std::cout << "purged " << opts.domain << " from " << where << "\n";
  } else {
    std::cout << opts.domain << " was not in " << where << "\n";
  }
  return *erased ? kExitOk : kExitNegative;
}

int run_export(store::PolicyStore& policies) {
  auto visited = policies.visit(wall_clock_now(), [](const store::StoredPolicy& stored) {
    std::cout << dumped(policy_entry_json(stored), -1) << "\n";
  });
  std::cout.flush();
  if (!visited) {
    return fail_with(visited.error().message);
  }
  return kExitOk;
}

int run(Action action, CacheOptions opts) {
  if (action == Action::show || action == Action::purge) {
    auto domain = core::normalize_domain(opts.domain);
    if (!domain) {
      return fail_with(opts.domain + ": " + domain.error().message);
    }
    opts.domain = std::move(*domain);
  }
  auto target = load_cache_target(
      opts.config_path.empty() ? std::nullopt : std::optional<std::string>(opts.config_path));
  if (!target) {
    return fail_with(target.error());
  }
  for (const std::string& warning : target->warnings) {
    std::cerr << "mtasts cache: warning: " << warning << "\n";
  }
  const store::StoreConfig& config = target->store;
  const std::string where = describe_store(config);
  if (config.type == store::StoreType::memory) {
    return fail_with("the configured cache (" + target->source +
                     ") is internal: it lives in the daemon's memory only; mtasts cache works "
                     "on sqlite, redis and postgres caches");
  }
  // Looking must not create a database: a missing file is an empty cache.
  if (config.type == store::StoreType::sqlite && !std::filesystem::exists(config.filename)) {
    std::cerr << "mtasts cache: " << config.filename << " does not exist (yet): no policies\n";
    if (action == Action::list && opts.json) {
      std::cout << "[]\n";
    }
    return action == Action::show || action == Action::purge ? kExitNegative : kExitOk;
  }
  auto opened = store::open_store(config);
  if (!opened) {
    return fail_with(opened.error().message);
  }
  store::PolicyStore& policies = **opened;
  switch (action) {
    case Action::list:
      return run_list(policies, opts, where);
    case Action::show:
      return run_show(policies, opts, where);
    case Action::purge:
      return run_purge(policies, opts, where);
    case Action::dump:
      return run_export(policies);
  }
  return kExitUsage;
}

}  // namespace

void add_cache_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CacheOptions>();
  CLI::App* cache = app.add_subcommand(
      "cache", "List, show, purge, export or import the policies the daemon has cached");
  cache->require_subcommand(1);
  const auto common = [&](CLI::App* sub) {
    sub->add_option("-c,--config", opts->config_path,
                    "the daemon configuration naming the cache (default /etc/mtasts/daemon.yml "
                    "if present, else /etc/mta-sts-daemon.yml if present, else SQLite in the "
                    "state directory)");
    sub->add_flag("--json", opts->json, "print JSON");
  };
  CLI::App* list = cache->add_subcommand("list", "The cached policies that have not expired");
  common(list);
  list->add_option("--limit", opts->limit, "show at most this many (0: all)");
  list->callback([opts, &exit_code] { exit_code = run(Action::list, *opts); });

  CLI::App* show = cache->add_subcommand("show", "One domain's cached policy and its times");
  common(show);
  show->add_option("DOMAIN", opts->domain, "the policy domain")->required();
  show->callback([opts, &exit_code] { exit_code = run(Action::show, *opts); });

  CLI::App* purge = cache->add_subcommand(
      "purge",
      "Remove a domain's policy from the store (a running daemon still holds it in memory)");
  common(purge);
  purge->add_option("DOMAIN", opts->domain, "the policy domain")->required();
  purge->callback([opts, &exit_code] { exit_code = run(Action::purge, *opts); });

  CLI::App* dump = cache->add_subcommand(
      "export", "Every cached policy as JSON lines: domain, id, mode, mx, max_age, times");
  common(dump);
  dump->callback([opts, &exit_code] { exit_code = run(Action::dump, *opts); });

  auto import_opts = std::make_shared<ImportOptions>();
  CLI::App* import = cache->add_subcommand(
      "import",
      "Copy every policy of postfix-mta-sts-resolver's SQLite cache into the configured cache "
      "(the peer's file is only read); exit 0 all imported, 1 malformed rows skipped, 2 error");
  import
      ->add_option("FILE", import_opts->peer_file,
                   "the peer's cache file (cache.options.filename in /etc/mta-sts-daemon.yml)")
      ->required();
  import->add_option("-c,--config", import_opts->config_path,
                     "the daemon configuration naming the cache to write to (default as for the "
                     "other cache commands)");
  import->add_flag("--json", import_opts->json, "print JSON");
  import->add_flag("--dry-run", import_opts->dry_run,
                   "read and check everything, say what would change, write nothing");
  import->callback(
      [import_opts, &exit_code] { exit_code = run_cache_import(*import_opts);
});
}  // namespace mtasts::app

}  // namespace mtasts::app
