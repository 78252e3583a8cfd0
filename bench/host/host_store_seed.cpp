// Fills a hosting store for bench/host: N domains d<i>.bench.test (mode enforce, mx
// mx.d<i>.bench.test, max_age one week) and, for each mta-sts.d<i>.bench.test, the certificate
// and key from --cert-dir (d<i>.pem, d<i>.key, as host_bench.py issues them), valid from a day
// ago for 89 days. The real `mtasts host` then serves them from its first sync, without ACME.
//
//   host_store_seed --store FILE --cert-dir DIR --domains 10000

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "bench_file.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace {

using namespace mtasts;

using bench::read_file;

int seed(const std::string& file, const std::string& cert_dir, int domains) {
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
    const std::string domain = "d" + std::to_string(i) + ".bench.test";
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
  std::cout << "{\"seeded\": " << domains << "}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fill a hosting store with N domains and their certificates for bench/host"};
  std::string file;
  std::string cert_dir;
  int domains = 0;
  app.add_option("--store", file, "SQLite file to create")->required();
  app.add_option("--cert-dir", cert_dir, "d<i>.pem and d<i>.key")->required();
  app.add_option("--domains", domains, "how many")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    return seed(file, cert_dir, domains);
  } catch (const std::exception& error) {
    std::cerr << "host_store_seed: " << error.what() << "\n";
    return 1;
  }
}
