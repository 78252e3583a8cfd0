// Fills a hosting store for bench/host: N domains d<i>.bench.test (mode enforce, mx
// mx.d<i>.bench.test, max_age one week) and, for each mta-sts.d<i>.bench.test, the certificate
// and key from --cert-dir (d<i>.pem, d<i>.key, as host_bench.py issues them), valid from a day
// ago for 89 days. The real `mtasts host` then serves them from its first sync, without ACME.
//
// With --report-days D, every domain also gets TLS-RPT reports for each of the last D days from
// --reporters R senders a day (report_shapes.hpp: a success row and 0-3 failure details each),
// stored through ReportStore::add_reports in transactions of 1,000 reports, so the session rows
// and the daily sums are those the intake writes. Domains go in name order and a report-id
// starts with its domain, so each index grows at its end.
//
//   host_store_seed --store FILE --cert-dir DIR --domains 10000 [--report-days 365 --reporters 2]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>

#include "bench_file.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/hosting_store.hpp"
#include "report_shapes.hpp"

namespace {

using namespace mtasts;

using bench::read_file;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReportBatch = 1000;
// Senders of TLS-RPT reports; the reporters of a day rotate through them.
constexpr const char* kReporters[] = {
    "Google Inc.", "Microsoft Corporation", "Yahoo Inc.", "Comcast", "Mail.Ru", "GMX", "Zoho Mail",
    "Fastmail"};
constexpr int kReporterCount = static_cast<int>(std::size(kReporters));

std::string domain_name(int i) {
  return "d" + std::to_string(i) + ".bench.test";
}

struct ReportPlan {
  int days = 0;       // the last `days` days, today included
  int reporters = 2;  // reports a day per domain
};

struct ReportTally {
  std::uint64_t reports = 0;
  std::uint64_t rows = 0;
};

// A year (or `plan.days`) of reports for every domain, in domain name order.
store::Result<ReportTally> seed_reports(store::HostingStore& hosting, int domains, ReportPlan plan,
                                        core::HostTime now) {
  std::vector<std::string> names;
  for (int i = 0; i < domains; ++i) {
    names.push_back(domain_name(i));
  }
  std::sort(names.begin(), names.end());
  const std::int64_t today = now.time_since_epoch().count() / 86400;
  std::mt19937 rng(8460);
  ReportTally tally;
  std::vector<store::NewReport> batch;
  const auto flush = [&]() -> store::Result<void> {
    auto added = hosting.reports().add_reports(batch);
    batch.clear();
    return added.transform([](const std::vector<store::ReportAdded>&) {});
  };
  for (const std::string& domain : names) {
    for (std::int64_t day = today - plan.days + 1; day <= today; ++day) {
      for (int k = 0; k < plan.reporters; ++k) {
        const std::string reporter = kReporters[(day + k) % kReporterCount];
        const std::string id = domain + "_" + std::to_string(day) + "_" + std::to_string(k);
        const bench::ReportShape shape =
            bench::random_report(reporter, id, domain, "mx." + domain, day, rng);
        if (tally.reports == 0) {
          if (const std::string differs = bench::compare_with_parsed(shape); !differs.empty()) {
            return store::fail(store::Errc::invalid_argument, differs);
          }
        }
        batch.push_back(bench::stored_report(shape, now));
        tally.rows += batch.back().rows.size();
        ++tally.reports;
        if (batch.size() == kReportBatch) {
          if (auto done = flush(); !done) {
            return tl::unexpected(done.error());
          }
        }
      }
    }
  }
  if (auto done = flush(); !done) {
    return tl::unexpected(done.error());
  }
  return tally;
}

int seed(const std::string& file, const std::string& cert_dir, int domains, ReportPlan plan) {
  store::HostingStoreConfig config;
  config.filename = file;
  auto opened = store::open_hosting_store(config);
  if (!opened) {
    std::cerr << "host_store_seed: " << opened.error().message << "\n";
    return 1;
  }
  store::HostingStore& hosting = **opened;
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  for (int i = 0; i < domains; ++i) {
    const std::string domain = domain_name(i);
    const core::HostedPolicy policy{core::PolicyMode::enforce, {"mx." + domain}, 604'800};
    const store::DomainRow row{core::new_hosted_domain(domain, policy, core::RecordMode::self, now),
                               "", std::nullopt};
    const store::AuditEntry audit{0, now, "bench", domain, "domain.add", "{}"};
    if (auto added = hosting.add_domain(row, audit); !added) {
      std::cerr << "host_store_seed: " << domain << ": " << added.error().message << "\n";
      return 1;
    }
    store::CertificateRow cert;
    cert.name = "mta-sts." + domain;
    cert.chain_pem = read_file(cert_dir + "/d" + std::to_string(i) + ".pem");
    cert.key_pem = read_file(cert_dir + "/d" + std::to_string(i) + ".key");
    cert.not_before = now - std::chrono::hours(24);
    cert.not_after = now + std::chrono::hours(24 * 89);
    cert.issued_at = now;
    if (auto put = hosting.put_certificate(cert); !put) {
      std::cerr << "host_store_seed: " << cert.name << ": " << put.error().message << "\n";
      return 1;
    }
  }
  ReportTally tally;
  double report_seconds = 0;
  if (plan.days > 0 && plan.reporters > 0) {
    const auto began = Clock::now();
    auto seeded = seed_reports(hosting, domains, plan, now);
    if (!seeded) {
      std::cerr << "host_store_seed: reports: " << seeded.error().message << "\n";
      return 1;
    }
    tally = *seeded;
    report_seconds = std::chrono::duration<double>(Clock::now() - began).count();
  }
  std::cout << "{\"seeded\": " << domains << ", \"reports\": " << tally.reports
            << ", \"session_rows\": " << tally.rows << ", \"report_seconds\": " << report_seconds
            << "}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fill a hosting store with N domains and their certificates for bench/host"};
  std::string file;
  std::string cert_dir;
  int domains = 0;
  ReportPlan plan;
  app.add_option("--store", file, "SQLite file to create")->required();
  app.add_option("--cert-dir", cert_dir, "d<i>.pem and d<i>.key")->required();
  app.add_option("--domains", domains, "how many")->required();
  app.add_option("--report-days", plan.days, "days of TLS-RPT reports per domain (0: none)")
      ->check(CLI::Range(0, 400));
  app.add_option("--reporters", plan.reporters, "reports a day per domain")
      ->check(CLI::Range(0, kReporterCount));
  CLI11_PARSE(app, argc, argv);
  try {
    return seed(file, cert_dir, domains, plan);
  } catch (const std::exception& error) {
    std::cerr << "host_store_seed: " << error.what() << "\n";
    return 1;
  }
}
