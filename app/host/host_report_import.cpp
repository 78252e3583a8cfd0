#include "host/host_report_import.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/input_file.hpp"
#include "exit_codes.hpp"
#include "host/host_config.hpp"
#include "mtasts/core/tlsrpt/mail_archive.hpp"
#include "mtasts/hosting/host_wiring.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/hosting/report_mail.hpp"
#include "mtasts/hosting/report_mail_intake.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/runtime/clock.hpp"

namespace mtasts::app {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBatch = 1000;
// The largest file read: an mbox of a year of reports; one report or message is capped lower.
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;

// A file a Maildir delivery is still writing ("<maildir>/tmp/..."): not a message yet.
bool in_maildir_tmp(const fs::path& path) {
  std::error_code error;
  const fs::path parent = path.parent_path();
  return parent.filename() == "tmp" && fs::is_directory(parent.parent_path() / "cur", error);
}

// The files named by `inputs`: directories give their regular files, sorted, recursively.
std::vector<std::string> expand(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (input != "-" && fs::is_directory(input, error)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(input, error), end; !error && it != end;
           it.increment(error)) {
        if (it->is_regular_file(error) && !in_maildir_tmp(it->path())) {
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

// One message of a file, to be read as report mail.
struct MailItem {
  std::string message;
  std::string source;
};

// Reads every message as report mail (DKIM keys through `config`'s DNS servers unless
// `no_dkim`) and appends what the intake is to take to `out`; a message whose key lookup
// failed for now is reported and left out. Returns how many were left out, or the error of
// making the resolver.
core::Result<std::uint64_t> read_mail(const HostConfig& config, std::vector<MailItem> items,
                                      bool no_dkim, std::vector<hosting::IntakeRequest>& out) {
  if (items.empty()) {
    return std::uint64_t{0};
  }
  auto dns = hosting::dns_options(config);
  if (!dns) {
    return tl::unexpected(dns.error());
  }
  boost::asio::io_context io;
  auto resolver = net::make_ares_resolver(io.get_executor(), *dns);
  if (!resolver) {
    return tl::unexpected(resolver.error());
  }
  std::uint64_t deferred = 0;
  const auto read_all = [&]() -> boost::asio::awaitable<void> {
    for (MailItem& item : items) {
      hosting::MailContext context;
      context.channel = store::ReportChannel::import;
      context.source = item.source;
      context.verify_dkim = !no_dkim;
      hosting::MailReading reading = co_await hosting::read_mailed_reports(
          **resolver, std::move(item.message), std::move(context));
      if (reading.retry) {
        std::cerr << item.source << ": not read: " << reading.detail << "; try again later\n";
        ++deferred;
        continue;
      }
      for (hosting::IntakeRequest& request : reading.requests) {
        out.push_back(std::move(request));
      }
    }
  };
  boost::asio::co_spawn(io, read_all(), boost::asio::detached);
  io.run();
  resolver->reset();
  return deferred;
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
  std::vector<MailItem> mail;
  for (const std::string& file : expand(args.inputs)) {
    std::optional<std::string> bytes = read_capped_input(file, kMaxFileBytes);
    if (!bytes || bytes->size() > kMaxFileBytes) {
      std::cerr << file << (bytes ? ": larger than 1 GiB" : ": cannot be read") << "\n";
      ++tally.unreadable;
      continue;
    }
    switch (core::mail_file_kind(*bytes)) {
      case core::MailFileKind::mbox: {
        std::size_t n = 0;
        for (std::string& message : core::split_mbox(*bytes)) {
          mail.push_back({std::move(message), file + "#" + std::to_string(++n)});
        }
        continue;
      }
      case core::MailFileKind::message:
        mail.push_back({std::move(*bytes), file});
        continue;
      case core::MailFileKind::other:
        break;
    }
    hosting::IntakeRequest request;
    request.bytes = bytes->size() > options.limits.max_input
                        ? bytes->substr(0, options.limits.max_input + 1)
                        : std::move(*bytes);
    request.channel = store::ReportChannel::import;
    request.source = file;
    batch.push_back(std::move(request));
    if (batch.size() >= kBatch) {
      flush();
    }
  }
  flush();
  std::vector<hosting::IntakeRequest> mailed;
  auto deferred = read_mail(loaded->config, std::move(mail), args.no_dkim, mailed);
  if (!deferred) {
    std::cerr << "mtasts host report import: dns_servers: " << deferred.error().message << "\n";
    return kExitUsage;
  }
  tally.refused += *deferred;
  for (hosting::IntakeRequest& request : mailed) {
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
