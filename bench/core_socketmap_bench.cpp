// Throughput of the socketmap path in core: netstring decode, key normalisation, reply render.

#include <benchmark/benchmark.h>

#include "mtasts/core/socketmap/netstring.hpp"
#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/core/socketmap/socketmap.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace {

using namespace mtasts::core;

void BM_NetstringDecode(benchmark::State& state) {
  // 64 pipelined Postfix queries in one read, as a busy connection delivers them.
  std::string wire;
  for (int i = 0; i < 64; ++i) {
    wire += encode_netstring("postfix mail" + std::to_string(i) + ".example.com");
  }
  for (auto _ : state) {
    NetstringDecoder decoder;
    decoder.feed(wire);
    std::size_t n = 0;
    while (true) {
      auto next = decoder.next();
      if (!next || !*next) {
        break;
      }
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_NetstringDecode);

void BM_SocketmapKey(benchmark::State& state) {
  for (auto _ : state) {
    auto request = parse_socketmap_request("postfix [Mail.Example.COM.]:25");
    auto key = normalize_socketmap_key(request->key);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_SocketmapKey);

void BM_RenderReply(benchmark::State& state) {
  const Policy policy = parse_policy(
                            "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                            "mx: *.backup.example.com\nmax_age: 604800\n")
                            .value();
  const auto tlsrpt = state.range(0) ? TlsrptAttributes::on : TlsrptAttributes::off;
  for (auto _ : state) {
    ReplyInput input{"example.com", policy};
    input.tlsrpt = tlsrpt;
    auto reply = render_policy_reply(input);
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_RenderReply)->Arg(0)->Arg(1);

}  // namespace
