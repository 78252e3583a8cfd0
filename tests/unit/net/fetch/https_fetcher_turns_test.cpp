// FetchOptions::max_concurrent: fetches beyond the limit wait their turn (each holds about
// 100 KiB of TLS buffers), and a turn passes on however the fetch before it ended.

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <tuple>

#include "fetcher_fixture.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using Three = std::tuple<FetchResult, FetchResult, FetchResult>;

constexpr auto kPause = 20ms;

// A policy sent in 16-byte pieces kPause apart: one fetch takes over 4 pauses.
ServerScript slow_policy() {
  ServerScript script;
  script.body = kPolicy;
  script.chunk = 16;
  script.pause = kPause;
  return script;
}

FetchOptions options_for(std::uint16_t port, std::size_t max_concurrent) {
  FetchOptions options = test_fetch_options(port, 10s);
  options.max_concurrent = max_concurrent;
  return options;
}

boost::asio::awaitable<Three> three_at_once(PolicyFetcher& fetcher, std::string first) {
  co_return co_await (fetcher.fetch(std::move(first)) && fetcher.fetch("example.com") &&
                      fetcher.fetch("example.com"));
}

TEST_F(FetcherTest, MaxConcurrentOne_FetchesRunOneAfterAnother) {
  TestHttpsServer& server = serve(slow_policy());
  auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, options_for(server.port(), 1));
  ASSERT_TRUE(fetcher);
  const auto started = Clock::now();
  const auto results = run_until_done(io_, three_at_once(**fetcher, "example.com"));
  const auto took = Clock::now() - started;
  ASSERT_TRUE(results);
  for (const FetchResult* r :
       {&std::get<0>(*results), &std::get<1>(*results), &std::get<2>(*results)}) {
    EXPECT_EQ(r->detail, FetchDetail::ok) << r->message;
    EXPECT_EQ(r->body, kPolicy);
  }
  EXPECT_EQ(server.log().connections, 3);
  // Side by side the three would take one fetch's time, over 4 pauses.
  EXPECT_GE(took, 3 * 4 * kPause);
}

TEST_F(FetcherTest, FailedFetch_PassesItsTurnOn) {
  TestHttpsServer& server = serve(slow_policy());
  // The first fetch finds no address (a failure), the next two wait for its turn.
  auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, options_for(server.port(), 1));
  ASSERT_TRUE(fetcher);
  const auto results = run_until_done(io_, three_at_once(**fetcher, "nowhere.example"));
  ASSERT_TRUE(results);
  EXPECT_EQ(std::get<0>(*results).detail, FetchDetail::host_not_found);
  EXPECT_EQ(std::get<1>(*results).detail, FetchDetail::ok) << std::get<1>(*results).message;
  EXPECT_EQ(std::get<2>(*results).detail, FetchDetail::ok) << std::get<2>(*results).message;
}

}  // namespace
}  // namespace mtasts::net::testing
