// The policy server of `mtasts host` with N domains d<i>.bench.test for bench/host: each
// mta-sts.d<i>.bench.test gets a certificate (its own from --cert-dir, or shared multi-SAN ones
// from --multi-san) and the policy body from --policy. Prints one JSON line when it serves
// (load time and memory) and one when it stops (its counters); serves the counters in the
// Prometheus format on --metrics.
//
//   serve_bench --listen 127.0.0.1:8443 --cert-dir DIR --domains 10000 --policy FILE
//               [--metrics 127.0.0.1:9443] [--threads 0] [--max-seconds 600]
//
// --cert-dir holds d<i>.pem (leaf first, then intermediates) and d<i>.key; --multi-san FILE
// lists "CERT KEY" path pairs, one a line, each certificate covering some of the names.
// --ssl-ctx-probe measures the design not taken instead: one SSL_CTX per certificate, loaded
// from --cert-dir; it prints the ready line and exits without serving.

#include <openssl/ssl.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_file.hpp"
#include "mtasts/net/hosting/policy_server.hpp"
#include "mtasts/net/http/metrics_server.hpp"

namespace {

using namespace mtasts;

using bench::read_file;

// VmRSS and VmHWM of this process, in KiB.
std::pair<long, long> memory_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  long rss = 0;
  long hwm = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      rss = std::stol(line.substr(6));
    } else if (line.rfind("VmHWM:", 0) == 0) {
      hwm = std::stol(line.substr(6));
    }
  }
  return {rss, hwm};
}

class BenchSource final : public net::PolicySource {
 public:
  void add(const std::string& domain, std::shared_ptr<const std::string> body) {
    bodies_[domain] = std::move(body);
  }
  std::shared_ptr<const std::string> policy_body(std::string_view domain) const override {
    auto it = bodies_.find(std::string(domain));
    return it == bodies_.end() ? nullptr : it->second;
  }
  std::optional<std::string> http01_key_authorization(std::string_view) override {
    return std::nullopt;
  }

 private:
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies_;  // read-only
};

std::string host_of(int i) {
  return "mta-sts.d" + std::to_string(i) + ".bench.test";
}

// Puts each pair's certificate under every name i < domains it covers.
int load_multi_san(net::CertificateSet& set, const std::string& list, int domains) {
  std::ifstream in(list);
  std::string cert_path;
  std::string key_path;
  int loaded = 0;
  int next = 0;
  while (in >> cert_path >> key_path && next < domains) {
    const std::string chain = read_file(cert_path);
    const std::string key = read_file(key_path);
    for (; next < domains; ++next) {
      if (!set.put(net::ServedCertificate{host_of(next), chain, key})) {
        break;  // this certificate does not cover the name: the next pair does
      }
      ++loaded;
    }
  }
  return loaded;
}

// The alternative to CertificateSet's one context: an SSL_CTX per certificate, each with its
// chain and key, as a server switching contexts by SNI would hold them.
int ssl_ctx_probe(const std::string& cert_dir, int domains) {
  const auto before = memory_kib();
  const auto started = std::chrono::steady_clock::now();
  std::vector<SSL_CTX*> contexts;
  for (int i = 0; i < domains; ++i) {
    const std::string base = cert_dir + "/d" + std::to_string(i);
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, (base + ".pem").c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, (base + ".key").c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("cannot load " + base);
    }
    contexts.push_back(ctx);
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto after = memory_kib();
  std::printf(
      "{\"event\": \"ready\", \"domains\": %d, \"certificates\": %d, \"load_seconds\": %.3f, "
      "\"rss_kib_before\": %ld, \"rss_kib\": %ld, \"hwm_kib\": %ld, \"threads\": 0}\n",
      domains, domains, load_seconds, before.first, after.first, after.second);
  std::fflush(stdout);
  for (SSL_CTX* ctx : contexts) {
    SSL_CTX_free(ctx);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mtasts host policy server for benchmarks"};
  std::string listen = "127.0.0.1:8443";
  std::string metrics;
  std::string cert_dir;
  std::string multi_san;
  std::string policy_file;
  int domains = 1;
  unsigned threads = 0;
  double max_seconds = 600;
  bool probe = false;
  app.add_option("--listen", listen, "HTTPS endpoint");
  app.add_option("--metrics", metrics, "Prometheus endpoint for the counters");
  app.add_option("--cert-dir", cert_dir, "d<i>.pem and d<i>.key");
  app.add_option("--multi-san", multi_san, "a file of CERT KEY path pairs");
  app.add_option("--policy", policy_file, "the policy body")->required();
  app.add_option("--domains", domains, "domains d0 .. d<N-1>.bench.test");
  app.add_option("--threads", threads, "event loops (0: one per core)");
  app.add_option("--max-seconds", max_seconds, "stop after this long");
  app.add_flag("--ssl-ctx-probe", probe, "measure one SSL_CTX per certificate, then exit");
  CLI11_PARSE(app, argc, argv);

  try {
    if (probe) {
      return ssl_ctx_probe(cert_dir, domains);
    }
    net::Logger log(net::LogLevel::warn);
    const auto before = memory_kib();
    const auto started = std::chrono::steady_clock::now();
    net::CertificateSet certificates;
    BenchSource source;
    const auto body = std::make_shared<const std::string>(read_file(policy_file));
    int loaded = 0;
    if (!multi_san.empty()) {
      loaded = load_multi_san(certificates, multi_san, domains);
    } else {
      for (int i = 0; i < domains; ++i) {
        const std::string base = cert_dir + "/d" + std::to_string(i);
        auto put =
            certificates.put({host_of(i), read_file(base + ".pem"), read_file(base + ".key")});
        if (!put) {
          throw std::runtime_error(host_of(i) + ": " + put.error().message);
        }
        ++loaded;
      }
    }
    for (int i = 0; i < domains; ++i) {
      source.add("d" + std::to_string(i) + ".bench.test", body);
    }
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    net::PolicyServerOptions options;
    auto endpoint = net::parse_endpoint(listen);
    if (!endpoint) {
      throw std::runtime_error(endpoint.error().message);
    }
    options.https = {*endpoint};
    options.threads = threads;
    net::PolicyServer server(source, certificates, options, log);
    if (auto ok = server.listen(); !ok) {
      throw std::runtime_error(ok.error().message);
    }
    server.start();

    boost::asio::io_context io;
    std::unique_ptr<net::MetricsServer> metrics_server;
    if (!metrics.empty()) {
      auto where = net::parse_metrics_endpoint(metrics);
      if (!where) {
        throw std::runtime_error(where.error().message);
      }
      metrics_server = std::make_unique<net::MetricsServer>(
          io.get_executor(), [&] { return net::policy_server_metrics_text(server.stats()); }, log);
      if (auto bound = metrics_server->listen(*where); !bound) {
        throw std::runtime_error(bound.error().message);
      }
      metrics_server->start();
    }
    const auto after = memory_kib();
    std::printf(
        "{\"event\": \"ready\", \"domains\": %d, \"certificates\": %d, \"load_seconds\": %.3f, "
        "\"rss_kib_before\": %ld, \"rss_kib\": %ld, \"hwm_kib\": %ld, \"threads\": %u}\n",
        domains, loaded, load_seconds, before.first, after.first, after.second, threads);
    std::fflush(stdout);

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::steady_timer limit(
        io, std::chrono::milliseconds(static_cast<long>(max_seconds * 1000)));
    const auto finish = [&] {
      signals.cancel();
      limit.cancel();
      if (metrics_server) {
        metrics_server->stop();
      }
    };
    signals.async_wait([&](const boost::system::error_code&, int) { finish(); });
    limit.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) {
        finish();
      }
    });
    io.run();
    server.stop(std::chrono::seconds(1));
    const auto stats = server.stats();
    std::printf(
        "{\"event\": \"stopped\", \"handshakes\": %llu, \"requests\": %llu, \"accepted\": %llu}\n",
        static_cast<unsigned long long>(stats.https.handshakes),
        static_cast<unsigned long long>(stats.https.requests),
        static_cast<unsigned long long>(stats.https.accepted));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serve_bench: %s\n", e.what());
    return 1;
  }
}
