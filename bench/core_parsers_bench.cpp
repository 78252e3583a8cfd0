// Throughput of the core parsers and the pattern matcher on realistic inputs.

#include <benchmark/benchmark.h>

#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace {

using namespace mtasts::core;

void BM_StsRecordParse(benchmark::State& state) {
  const std::string record = "v=STSv1; id=20240601T120000Z0001";
  for (auto _ : state) {
    auto r = parse_sts_record(record);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.size()));
}
BENCHMARK(BM_StsRecordParse);

void BM_StsRecordSelect(benchmark::State& state) {
  const std::vector<TxtStrings> rrs = {{"v=spf1 include:_spf.example.com -all"},
                                       {"v=STSv1; id=", "20240601T120000"},
                                       {"google-site-verification=abcdefghijklmnop"}};
  for (auto _ : state) {
    auto s = select_sts_record(rrs);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StsRecordSelect);

void BM_TlsrptRecordParse(benchmark::State& state) {
  const std::string record =
      "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1/tlsrpt";
  for (auto _ : state) {
    auto r = parse_tlsrpt_record(record);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TlsrptRecordParse);

void BM_PolicyParse(benchmark::State& state) {
  // A typical large-provider policy: a handful of patterns.
  const std::string body =
      "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\n"
      "mx: *.mail.protection.example.net\r\nmx: backup.example.org\r\nmax_age: 604800\r\n";
  for (auto _ : state) {
    auto p = parse_policy(body);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_PolicyParse);

void BM_PolicyParseMaxSize(benchmark::State& state) {
  // Worst case the fetcher lets through: ~64 KiB of mx lines.
  std::string body = "version: STSv1\nmode: enforce\nmax_age: 604800\n";
  for (int i = 0; body.size() < kMaxPolicySize - 64; ++i) {
    body += "mx: mx" + std::to_string(i) + ".example.com\n";
  }
  for (auto _ : state) {
    auto p = parse_policy(body);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_PolicyParseMaxSize);

void BM_MxPatternMatch(benchmark::State& state) {
  const auto wildcard = parse_mx_pattern("*.mail.protection.example.net").value();
  const auto exact = parse_mx_pattern("mx1.example.com").value();
  const std::string host = "Example-com.MAIL.protection.example.net.";
  for (auto _ : state) {
    benchmark::DoNotOptimize(mx_matches(wildcard, host));
    benchmark::DoNotOptimize(mx_matches(exact, host));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_MxPatternMatch);

}  // namespace
