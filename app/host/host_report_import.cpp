#include "host/host_report_import.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/input_file.hpp"
#include "exit_codes.hpp"
#include "host/host_config.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/net/runtime/clock.hpp"

namespace mtasts::app {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBatch = 1000;

// The files named by `inputs`: directories give their regular files, sorted, recursively.
std::vector<std::string> expand(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (input != "-" && fs::is_directory(input, error)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(input, error), end; !error && it != end;
           it.increment(error)) {
        if (it->is_regular_file(error)) {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }
  return files;
}

struct Tally {
  std::uint64_t accepted = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t kept_apart = 0;
  std::uint64_t refused = 0;
  std::uint64_t unreadable = 0;
};

}  // namespace

int run_report_import(const ReportImportArgs& args) {
  auto loaded = load_host_config(args.config.empty() ? std::nullopt : std::optional(args.config),
                                 current_host_environment());
  if (!loaded) {
    std::cerr << "mtasts host report import: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  auto store = store::open_hosting_store(loaded->config.store);
  if (!store) {
    std::cerr << "mtasts host report import: store: " << store.error().message << "\n";
    return kExitNegative;
  }
  const hosting::IntakeOptions options;
  const net::SystemClock clock;
  Tally tally;
  nlohmann::json results = nlohmann::json::array();
  std::vector<hosting::IntakeRequest> batch;
  const auto flush = [&] {
    const std::vector<hosting::IntakeOutcome> outcomes =
        hosting::take_reports(**store, batch, clock.now(), options, nullptr);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const hosting::IntakeOutcome& outcome = outcomes[i];
      switch (outcome.status) {
        case hosting::IntakeStatus::accepted:
          ++tally.accepted;
          break;
        case hosting::IntakeStatus::duplicate:
          ++tally.duplicate;
          break;
        case hosting::IntakeStatus::kept_apart:
          ++tally.kept_apart;
          break;
        case hosting::IntakeStatus::refused:
          ++tally.refused;
          break;
      }
      if (outcome.status != hosting::IntakeStatus::accepted) {
        std::cerr << batch[i].source << ": " << hosting::to_string(outcome.status)
                  << (outcome.reason.empty() ? "" : " (" + outcome.reason + ")")
                  << (outcome.detail.empty() ? "" : ": " + outcome.detail) << "\n";
      }
      if (args.json) {
        results.push_back({{"file", batch[i].source},
                           {"outcome", hosting::to_string(outcome.status)},
                           {"reason", outcome.reason},
                           {"detail", outcome.detail},
                           {"domain", outcome.domain},
                           {"reporter", outcome.reporter},
                           {"report_id", outcome.report_id},
                           {"successful", outcome.successful},
                           {"failed", outcome.failed}});
      }
    }
    batch.clear();
  };
  for (const std::string& file : expand(args.inputs)) {
    std::optional<std::string> bytes = read_capped_input(file, options.limits.max_input);
    if (!bytes) {
      std::cerr << file << ": cannot be read\n";
      ++tally.unreadable;
      continue;
    }
    hosting::IntakeRequest request;
    request.bytes = std::move(*bytes);
    request.channel = store::ReportChannel::import;
    request.source = file;
    batch.push_back(std::move(request));
    if (batch.size() >= kBatch) {
      flush();
    }
  }
  flush();
  if (args.json) {
    std::cout << nlohmann::json{{"accepted", tally.accepted},     {"duplicate", tally.duplicate},
                                {"kept_apart", tally.kept_apart}, {"refused", tally.refused},
                                {"unreadable", tally.unreadable}, {"reports", results}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "imported " << tally.accepted << ", duplicates " << tally.duplicate
              << ", kept apart " << tally.kept_apart << ", refused " << tally.refused
              << ", unreadable " << tally.unreadable << "\n";
  }
  const bool clean = tally.kept_apart + tally.refused + tally.unreadable == 0;
  return clean ? kExitOk : kExitNegative;
}

}  // namespace mtasts::app
