// FetchOptions::threads: the exchange (connect, TLS, HTTP) runs on the fetcher's own threads,
// the name lookup and the result stay on the caller's loop; outcomes are the same as without.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <thread>
#include <tuple>

#include "fetcher_fixture.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using Four = std::tuple<FetchResult, FetchResult, FetchResult, FetchResult>;

FetchOptions threaded(std::uint16_t port, std::size_t threads) {
  FetchOptions options = test_fetch_options(port, 10s);
  options.threads = threads;
  return options;
}

boost::asio::awaitable<Four> four_at_once(PolicyFetcher& fetcher) {
  co_return co_await (fetcher.fetch("example.com") && fetcher.fetch("example.com") &&
                      fetcher.fetch("example.com") && fetcher.fetch("example.com"));
}

TEST_F(FetcherTest, Threads_ConcurrentFetches_AllSucceedOnTheCallersLoop) {
  ServerScript script;
  script.body = kPolicy;
  TestHttpsServer& server = serve(script);
  auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, threaded(server.port(), 2));
  ASSERT_TRUE(fetcher);
  const auto results = run_until_done(io_, four_at_once(**fetcher));
  ASSERT_TRUE(results);
  for (const FetchResult* r : {&std::get<0>(*results), &std::get<1>(*results),
                               &std::get<2>(*results), &std::get<3>(*results)}) {
    EXPECT_EQ(r->detail, FetchDetail::ok) << r->message;
    EXPECT_EQ(r->body, kPolicy);
    EXPECT_EQ(r->exchange.url, "https://mta-sts.example.com:" + std::to_string(server.port()) +
                                   "/.well-known/mta-sts.txt");
    EXPECT_TRUE(r->exchange.certificate.has_value());
  }
  EXPECT_EQ(server.log().connections, 4);
}

TEST_F(FetcherTest, Threads_UntrustedCertificate_SameDetailAsWithout) {
  ServerScript script;
  script.body = kPolicy;
  TestHttpsServer& server =
      serve(script, pki().issue({"mta-sts.example.com", {"mta-sts.example.com"}}, false));
  FetchOptions options = threaded(server.port(), 1);
  const FetchResult threaded_result = fetch_with(options);
  options.threads = 0;
  const FetchResult inline_result = fetch_with(options);
  EXPECT_EQ(threaded_result.detail, FetchDetail::cert_untrusted) << threaded_result.message;
  EXPECT_EQ(threaded_result.detail, inline_result.detail);
  EXPECT_EQ(threaded_result.message, inline_result.message);
}

TEST_F(FetcherTest, Threads_UnknownHost_FailsBeforeAnyConnection) {
  ServerScript script;
  script.body = kPolicy;
  TestHttpsServer& server = serve(script);
  const FetchResult result = fetch_with(threaded(server.port(), 2), "nowhere.example");
  EXPECT_EQ(result.detail, FetchDetail::host_not_found) << result.message;
  EXPECT_EQ(result.exchange.url, "https://mta-sts.nowhere.example:" +
                                     std::to_string(server.port()) + "/.well-known/mta-sts.txt");
  EXPECT_EQ(server.log().connections, 0);
}

TEST_F(FetcherTest, SkipCertificateDetail_LeavesItEmpty) {
  ServerScript script;
  script.body = kPolicy;
  TestHttpsServer& server = serve(script);
  FetchOptions options = threaded(server.port(), 1);
  options.certificate = CertificateDetail::skip;
  const FetchResult result = fetch_with(options);
  EXPECT_EQ(result.detail, FetchDetail::ok) << result.message;
  EXPECT_FALSE(result.exchange.certificate.has_value());
}

TEST_F(FetcherTest, Threads_FetcherDestroyedDuringAFetch_NeitherHangsNorCrashes) {
  // The server sends the body a byte every 100 ms: the fetch is still running when the
  // fetcher goes away.
  ServerScript script;
  script.body = kPolicy;
  script.chunk = 1;
  script.pause = 100ms;
  TestHttpsServer& server = serve(script);
  auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, threaded(server.port(), 2));
  ASSERT_TRUE(fetcher);
  bool finished = false;
  boost::asio::co_spawn(
      io_, (*fetcher)->fetch("example.com"),
      [&finished](const std::exception_ptr&, const FetchResult&) { finished = true; });
  io_.run_for(500ms);
  EXPECT_FALSE(finished);
  EXPECT_EQ(server.log().connections, 1);
  const auto started = std::chrono::steady_clock::now();
  fetcher->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  io_.restart();
  io_.run_for(200ms);
  EXPECT_FALSE(finished);
}

}  // namespace
}  // namespace mtasts::net::testing
