// TLS-RPT intake and analysis figures on SQLite (docs/benchmarks.md "TLS-RPT reports"):
//
//   1. import: N gzip reports (report_shapes.hpp: one sts policy, a success count and 0-3
//      failure details, as real senders write them) through hosting::take_reports in batches
//      of 1000, the path of `mtasts host report import`: decompress, parse, tie to a hosted domain,
//      store. Reports/s.
//   2. summary: the session table filled to R rows (reports of 1000 failure rows each, spread
//      over D domains and 90 days), then hosting::report_summary() of one domain over 90 days,
//      the admin API's GET /v1/domains/{d}/reports. Milliseconds, median of 5.
//
//   report_bench --store FILE [--reports 100000] [--rows 10000000] [--domains 100]

#include <zlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/hosting/report_summary.hpp"
#include "mtasts/store/hosting_store.hpp"
#include "report_shapes.hpp"

namespace {

using namespace mtasts;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kDay = 86400;

std::string gzip(const std::string& text) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string domain_name(int i) {
  return "r" + std::to_string(i) + ".bench.test";
}

int run(const std::string& file, int reports, std::int64_t rows, int domains) {
  std::filesystem::remove(file);
  store::HostingStoreConfig config;
  config.filename = file;
  auto opened = store::open_hosting_store(config);
  if (!opened) {
    std::cerr << "report_bench: " << opened.error().message << "\n";
    return 1;
  }
  store::HostingStore& hosting = **opened;
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  for (int i = 0; i < domains; ++i) {
    const core::HostedPolicy policy{core::PolicyMode::testing, {"mx0." + domain_name(i)}, 604'800};
    const store::DomainRow row{
        core::new_hosted_domain(domain_name(i), policy, core::RecordMode::self, now), "",
        std::nullopt};
    if (auto added = hosting.add_domain(row, {0, now, "bench", domain_name(i), "add", "{}"});
        !added) {
      std::cerr << "report_bench: " << added.error().message << "\n";
      return 1;
    }
  }
  const std::int64_t today = now.time_since_epoch().count() / kDay;
  std::mt19937 rng(8460);

  // 1. import
  std::vector<hosting::IntakeRequest> batch;
  double import_seconds = 0;
  std::uint64_t accepted = 0;
  for (int n = 0; n < reports; ++n) {
    hosting::IntakeRequest request;
    const std::string domain = domain_name(n % domains);
    request.bytes = gzip(bench::report_json(
        bench::random_report("Sender " + std::to_string(n % 50), "bench-" + std::to_string(n),
                             domain, "mx0." + domain, today - n % 90, rng)));
    request.channel = store::ReportChannel::import;
    request.source = "bench";
    batch.push_back(std::move(request));
    if (batch.size() == 1000 || n + 1 == reports) {
      const auto began = Clock::now();
      const auto outcomes = hosting::take_reports(hosting, batch, now, {}, nullptr);
      import_seconds += std::chrono::duration<double>(Clock::now() - began).count();
      accepted += static_cast<std::uint64_t>(
          std::count_if(outcomes.begin(), outcomes.end(), [](const hosting::IntakeOutcome& o) {
            return o.status == hosting::IntakeStatus::accepted;
          }));
      batch.clear();
    }
  }
  std::cout << "import: " << accepted << " of " << reports << " reports in " << import_seconds
            << " s = " << static_cast<double>(accepted) / import_seconds << " reports/s\n";

  // 2. fill the session rows to `rows`, then summarize one domain over 90 days.
  const auto fill_began = Clock::now();
  int filler = 0;
  std::int64_t stored = static_cast<std::int64_t>(reports) * 3;  // about 3 rows per imported report
  while (stored < rows) {
    std::vector<store::NewReport> fill;
    for (int k = 0; k < 100 && stored < rows; ++k, ++filler) {
      store::NewReport item;
      const std::string domain = domain_name(filler % domains);
      item.report.domain = domain;
      item.report.reporter = "Filler " + std::to_string(filler % 50);
      item.report.report_id = "fill-" + std::to_string(filler);
      item.report.start = now - std::chrono::days(filler % 90);
      item.report.end = item.report.start;
      item.report.received_at = now;
      item.report.channel = store::ReportChannel::import;
      item.report.findings = "[]";
      item.report.raw = "{}";
      for (int r = 0; r < 1000; ++r) {
        core::TlsrptSessionRow row;
        row.policy_type = "sts";
        row.policy_domain = domain;
        row.result = r == 0 ? "success" : "certificate-expired";
        row.receiving_mx = "mx" + std::to_string(r % 3) + "." + domain;
        row.sending_ip = "198.51.100." + std::to_string(r % 250);
        row.sessions = 1 + static_cast<std::uint64_t>(r % 7);
        item.rows.push_back(std::move(row));
      }
      stored += 1000;
      fill.push_back(std::move(item));
    }
    if (auto added = hosting.reports().add_reports(fill); !added) {
      std::cerr << "report_bench: " << added.error().message << "\n";
      return 1;
    }
  }
  std::cout << "filled to about " << stored << " session rows in "
            << std::chrono::duration<double>(Clock::now() - fill_began).count() << " s\n";
  std::vector<double> times;
  std::size_t days_listed = 0;
  for (int i = 0; i < 5; ++i) {
    const auto began = Clock::now();
    auto summary = hosting::report_summary(hosting, domain_name(0), now, {90});
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
    if (!summary) {
      std::cerr << "report_bench: " << summary.error().message << "\n";
      return 1;
    }
    days_listed = (*summary)["by_day"].size();
  }
  std::sort(times.begin(), times.end());
  std::cout << "summary of " << domain_name(0) << " over 90 days (" << days_listed
            << " days with reports, about " << stored / domains << " rows of the domain): median "
            << times[2] << " ms, max " << times[4] << " ms\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TLS-RPT import and summary figures on SQLite"};
  std::string file;
  int reports = 100'000;
  std::int64_t rows = 10'000'000;
  int domains = 100;
  app.add_option("--store", file, "SQLite file (replaced)")->required();
  app.add_option("--reports", reports, "reports to import");
  app.add_option("--rows", rows, "session rows to reach before the summary");
  app.add_option("--domains", domains, "hosted domains the reports are spread over");
  CLI11_PARSE(app, argc, argv);
  return run(file, reports, rows, std::max(1, domains));
}
