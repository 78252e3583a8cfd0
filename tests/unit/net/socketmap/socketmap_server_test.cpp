#include "mtasts/net/socketmap/socketmap_server.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "socketmap_client.hpp"
#include "test_loop.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::SocketmapClient;
using Clock = std::chrono::steady_clock;

// Answers "OK <map>:<key>"; "slow" takes 50 ms, "block" waits until released (or 10 s),
// "huge" answers more than Postfix accepts.
class EchoHandler final : public SocketmapHandler {
 public:
  explicit EchoHandler(asio::any_io_executor executor) : gate_(executor) {}

  asio::awaitable<std::string> handle(std::string map_name, std::string key) override {
    ++calls;
    if (key == "slow") {
      asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (key == "block") {
      ++blocked;
      gate_.expires_after(10s);
      boost::system::error_code ec;
      co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (key == "huge") {
      co_return "OK " + std::string(core::kPostfixMaxReply + 1, 'x');
    }
    if (key == "throw") {
      throw std::runtime_error("handle failed");
    }
    co_return "OK " + map_name + ":" + key;
  }

  // Keys starting with "now" are answered at once ("NOW <map>:<key>"), "hugenow" too large;
  // "nowthrow" and "throw" throw.
  std::optional<std::string_view> answer_now(std::string_view map_name,
                                             std::string_view key) override {
    if (key == "nowthrow") {
      throw std::runtime_error("answer_now failed");
    }
    if (key.rfind("now", 0) != 0 && key != "hugenow") {
      return std::nullopt;
    }
    ++now_calls;
    reply_ = key == "hugenow" ? "OK " + std::string(core::kPostfixMaxReply + 1, 'x')
                              : "NOW " + std::string(map_name) + ":" + std::string(key);
    return reply_;
  }

  void release() { gate_.cancel(); }

  int calls = 0;
  int now_calls = 0;
  int blocked = 0;

 private:
  asio::steady_timer gate_;
  std::string reply_;
};

using Replies = std::vector<std::string>;

class SocketmapServerTest : public ::testing::Test {
 protected:
  void start(SocketmapServerOptions options = {}) {
    server_ = std::make_unique<SocketmapServer>(io_.get_executor(), handler_, options, log_);
    auto port = server_->listen_tcp("127.0.0.1", 0, ReusePort::off);
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    server_->start();
  }

  template <class T>
  T run(asio::awaitable<T> work) {
    auto result = testing::run_until_done(io_, std::move(work));
    EXPECT_TRUE(result.has_value()) << "the test coroutine did not finish";
    return result.value_or(T{});
  }

  asio::awaitable<SocketmapClient> connected() {
    SocketmapClient client(io_.get_executor());
    const bool connected = co_await client.connect_tcp(port_);
    EXPECT_TRUE(connected);
    co_return client;
  }

  // Sends `bytes` on a new connection; the first `count` replies.
  Replies exchange(std::string bytes, std::size_t count) {
    return run([this, bytes = std::move(bytes), count]() -> asio::awaitable<Replies> {
      auto client = co_await connected();
      co_await client.send(bytes);
      co_return co_await client.replies(count);
    }());
  }

  // Whether the server closes `victim` within 5 s; then the reply `survivor` gets to "m <key>".
  static asio::awaitable<std::pair<bool, Replies>> closed_and_still_served(SocketmapClient victim,
                                                                           SocketmapClient survivor,
                                                                           std::string key) {
    const bool closed = co_await victim.wait_closed(5s);
    co_await survivor.ask("m " + key);
    auto replies = co_await survivor.replies(1);
    co_return std::pair{closed, replies};
  }

  asio::io_context io_;
  Logger log_{LogLevel::error};
  EchoHandler handler_{io_.get_executor()};
  std::unique_ptr<SocketmapServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(SocketmapServerTest, OneRequest_IsAnsweredAsANetstring) {
  start();
  EXPECT_EQ(exchange("17:postfix a.example,", 1), (Replies{"OK postfix:a.example"}));
}

TEST_F(SocketmapServerTest, PipelinedRequests_AreAnsweredInOrder) {
  start();
  const Replies replies =
      exchange(core::encode_netstring("z slow") + core::encode_netstring("z a") +
                   core::encode_netstring("z b"),
               3);
  EXPECT_EQ(replies, (Replies{"OK z:slow", "OK z:a", "OK z:b"}));
}

TEST_F(SocketmapServerTest, ImmediateAndWaitingReplies_KeepTheOrderOfRequests) {
  start();
  auto replies = run([&]() -> asio::awaitable<Replies> {
    auto client = co_await connected();
    std::string wire;
    for (const char* key : {"now1", "slow", "now2", "a", "now3", "hugenow", "now4"}) {
      wire += core::encode_netstring(std::string("z ") + key);
    }
    co_await client.send(wire);
    co_return co_await client.replies(7);
  }());
  EXPECT_EQ(replies, (Replies{"NOW z:now1", "OK z:slow", "NOW z:now2", "OK z:a", "NOW z:now3",
                              "TEMP reply too large", "NOW z:now4"}));
  EXPECT_EQ(handler_.calls, 2);
  EXPECT_EQ(handler_.now_calls, 5);
  EXPECT_EQ(server_->stats().requests, 7u);
}

TEST_F(SocketmapServerTest, PipelinedImmediateReplies_OverTheFlushSize_AllArrive) {
  start();
  constexpr int kRequests = 4000;  // about 70 KB of replies: over kFlushAt (64 KiB)
  auto replies = run([&]() -> asio::awaitable<Replies> {
    auto client = co_await connected();
    std::string wire;
    for (int i = 0; i < kRequests; ++i) {
      wire += core::encode_netstring("z now" + std::to_string(i));
      if (i % 1000 == 999) {
        wire += core::encode_netstring("z w" + std::to_string(i));  // one waiting now and then
      }
    }
    co_await client.send(wire);
    co_return co_await client.replies(kRequests + kRequests / 1000);
  }());
  ASSERT_EQ(replies.size(), static_cast<std::size_t>(kRequests + kRequests / 1000));
  EXPECT_EQ(replies.front(), "NOW z:now0");
  EXPECT_EQ(replies[1000], "OK z:w999");
  EXPECT_EQ(replies.back(), "OK z:w3999");
  EXPECT_EQ(handler_.now_calls, kRequests);
}

TEST_F(SocketmapServerTest, HandlerExceptions_CloseOnlyThatConnection) {
  start();
  auto result = run([&]() -> asio::awaitable<std::vector<bool>> {
    std::vector<bool> out;
    for (const char* key : {"m nowthrow", "m throw"}) {
      auto bad = co_await connected();
      co_await bad.ask(key);
      out.push_back(co_await bad.wait_closed(5s));
    }
    auto good = co_await connected();
    co_await good.ask("m now-fine");
    co_await good.ask("m fine");
    const Replies replies = co_await good.replies(2);
    out.push_back(replies == Replies{"NOW m:now-fine", "OK m:fine"});
    co_return out;
  }());
  EXPECT_EQ(result, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(server_->stats().accepted, 3u);
}

TEST_F(SocketmapServerTest, ClosedConnections_AreForgotten) {
  start();
  run([&]() -> asio::awaitable<int> {
    for (const char* key : {"m now1", "m slow", "m a"}) {
      auto client = co_await connected();
      co_await client.ask(key);
      co_await client.replies(1);
    }
    co_return 0;
  }());
  // The server sees the closes on its next reads.
  EXPECT_TRUE(testing::drive(io_, [&] { return server_->stats().active == 0; }));
  EXPECT_EQ(server_->stats().active, 0u);
  EXPECT_EQ(server_->stats().requests, 3u);
}

TEST_F(SocketmapServerTest, SplitNetstrings_AreReassembled) {
  start();
  auto replies = run([&]() -> asio::awaitable<Replies> {
    auto client = co_await connected();
    const std::string wire = core::encode_netstring("m one") + core::encode_netstring("m two");
    for (char c : wire) {
      co_await client.send(std::string(1, c));
      asio::steady_timer pause(io_.get_executor(), 1ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_return co_await client.replies(2);
  }());
  EXPECT_EQ(replies, (Replies{"OK m:one", "OK m:two"}));
}

TEST_F(SocketmapServerTest, Garbage_ClosesOnlyThatConnection) {
  start();
  auto result = run([&]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto good = co_await connected();
    auto bad = co_await connected();
    co_await bad.send("hello, I am not a netstring\r\n");
    co_return co_await closed_and_still_served(std::move(bad), std::move(good), "still-here");
  }());
  EXPECT_TRUE(result.first);
  EXPECT_EQ(result.second, (Replies{"OK m:still-here"}));
  EXPECT_EQ(server_->stats().bad_framing, 1u);
}

TEST_F(SocketmapServerTest, RequestsBeforeGarbage_AreStillAnswered) {
  start();
  auto result = run([&]() -> asio::awaitable<std::pair<Replies, bool>> {
    auto client = co_await connected();
    co_await client.send(core::encode_netstring("m first") + "x:");
    auto replies = co_await client.replies(2);
    co_return std::pair{replies, client.closed()};
  }());
  EXPECT_EQ(result.first, (Replies{"OK m:first"}));
  EXPECT_TRUE(result.second);
}

TEST_F(SocketmapServerTest, OversizeNetstring_IsRefusedBeforeItsPayload) {
  start();
  auto result = run([&]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto limit = co_await connected();
    co_await limit.ask("m " + std::string(core::kPostfixMaxQuery - 2, 'a'));
    auto at_limit = co_await limit.replies(1);
    auto over = co_await connected();
    co_await over.send(std::to_string(core::kPostfixMaxQuery + 1) + ":");
    const bool closed = co_await over.wait_closed(5s);
    co_return std::pair{closed, at_limit};
  }());
  EXPECT_TRUE(result.first);
  ASSERT_EQ(result.second.size(), 1u);
  EXPECT_EQ(result.second[0].size(), 3 + 2 + core::kPostfixMaxQuery - 2);
  EXPECT_EQ(handler_.calls, 1);
}

TEST_F(SocketmapServerTest, RequestWithoutMapName_IsAnsweredPerm) {
  start();
  const Replies replies =
      exchange(core::encode_netstring("nospace") + core::encode_netstring("m after"), 2);
  EXPECT_EQ(replies, (Replies{"PERM invalid request", "OK m:after"}));
}

TEST_F(SocketmapServerTest, OversizeReply_BecomesTemp) {
  start();
  EXPECT_EQ(exchange(core::encode_netstring("m huge"), 1), (Replies{"TEMP reply too large"}));
}

TEST_F(SocketmapServerTest, IdleConnection_IsClosedAfterIdleTimeout) {
  start({.idle_timeout = 100ms});
  auto elapsed = run([&]() -> asio::awaitable<Clock::duration> {
    auto client = co_await connected();
    co_await client.ask("m once");
    co_await client.replies(1);
    const auto t0 = Clock::now();
    const bool closed = co_await client.wait_closed(5s);
    EXPECT_TRUE(closed);
    co_return Clock::now() - t0;
  }());
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(server_->stats().timed_out, 1u);
}

TEST_F(SocketmapServerTest, SlowClient_IsDroppedAfterReadTimeout) {
  start({.idle_timeout = 30s, .read_timeout = 100ms});
  auto result = run([&]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto slow = co_await connected();
    auto other = co_await connected();
    co_await slow.send("20:m partial");  // never completed
    const bool closed = co_await slow.wait_closed(5s);
    co_await other.ask("m fine");
    auto replies = co_await other.replies(1);
    co_return std::pair{closed, replies};
  }());
  EXPECT_TRUE(result.first);
  EXPECT_EQ(result.second, (Replies{"OK m:fine"}));
}

// Bytes trickled in one at a time, each well within read_timeout of the one before, do not
// hold a started request open: its deadline runs from its first byte.
TEST_F(SocketmapServerTest, TrickledRequest_IsClosedAtTheReadTimeoutFromItsFirstByte) {
  start({.idle_timeout = 30s, .read_timeout = 300ms});
  auto result = run([&]() -> asio::awaitable<std::pair<bool, Clock::duration>> {
    auto slow = co_await connected();
    const std::string request = core::encode_netstring("m " + std::string(200, 'x'));
    const auto t0 = Clock::now();
    bool closed = false;
    for (std::size_t i = 0; i < request.size() && !closed; ++i) {
      co_await slow.send(request.substr(i, 1));
      closed = co_await slow.wait_closed(100ms);  // a byte every 100 ms, for up to 20 s
    }
    co_return std::pair{closed, Clock::now() - t0};
  }());
  EXPECT_TRUE(result.first) << "the trickled request was never cut";
  EXPECT_LT(result.second, 3s);
  EXPECT_EQ(server_->stats().timed_out, 1u);
}

// At info, clients cut by their deadline and clients sending garbage are one line per kind
// per 10 s, with how many since the line before: a flood of them cannot drown the log. The
// counters count each one.
TEST_F(SocketmapServerTest, SlowAndGarbledClients_AtInfo_AreOneLinePerKindWithTheirNumber) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("mtasts-socketmap-notes-" + std::to_string(::getpid()));
  ASSERT_TRUE(log_.open_file(file.string()));
  log_.set_level(LogLevel::info);
  start({.idle_timeout = 30s, .read_timeout = 100ms});
  const int closed = run([&]() -> asio::awaitable<int> {
    int n = 0;
    std::vector<SocketmapClient> slow;
    for (int i = 0; i < 3; ++i) {
      slow.push_back(co_await connected());
      co_await slow.back().send("20:m partial");
    }
    for (auto& client : slow) {
      n += static_cast<int>(co_await client.wait_closed(5s));
    }
    for (int i = 0; i < 2; ++i) {
      auto garbled = co_await connected();
      co_await garbled.send("not a netstring\r\n");
      n += static_cast<int>(co_await garbled.wait_closed(5s));
    }
    co_return n;
  }());
  EXPECT_EQ(closed, 5);
  std::ifstream in(file);
  std::vector<std::string> timeouts;
  std::vector<std::string> garbage;
  for (std::string line; std::getline(in, line);) {
    if (line.find("event=connection-timeout") != std::string::npos) {
      timeouts.push_back(line);
    } else if (line.find("event=connection-bad-request") != std::string::npos) {
      garbage.push_back(line);
    }
  }
  std::filesystem::remove(file);
  ASSERT_EQ(timeouts.size(), 1u);
  EXPECT_NE(timeouts[0].find("level=info"), std::string::npos) << timeouts[0];
  EXPECT_NE(timeouts[0].find("connections=1"), std::string::npos) << timeouts[0];
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_NE(garbage[0].find("connections=1"), std::string::npos) << garbage[0];
  EXPECT_EQ(server_->stats().timed_out, 3u);
  EXPECT_EQ(server_->stats().bad_framing, 2u);
}

// Once a crowd of connections (trim_after_peak or more at once) has fallen to half, the heap is
// given back: once per crowd, never for a smaller one.
TEST_F(SocketmapServerTest, ACrowdOfConnectionsGone_GivesTheHeapBackOncePerCrowd) {
  start({.trim_after_peak = 8});
  const auto crowd = [&](int size) {
    run([&]() -> asio::awaitable<int> {
      std::vector<SocketmapClient> clients;
      for (int i = 0; i < size; ++i) {
        clients.push_back(co_await connected());
        co_await clients.back().ask("m now" + std::to_string(i));
        co_await clients.back().replies(1);
      }
      co_return size;  // the clients close here
    }());
    EXPECT_TRUE(testing::drive(io_, [&] { return server_->stats().active == 0; }));
  };
  crowd(3);
  EXPECT_EQ(server_->stats().memory_trims, 0u);
  crowd(10);
  EXPECT_EQ(server_->stats().memory_trims, 1u);
  crowd(5);
  EXPECT_EQ(server_->stats().memory_trims, 1u);
  crowd(10);
  EXPECT_EQ(server_->stats().memory_trims, 2u);
  EXPECT_NE(
      socketmap_metrics_text(server_->stats()).find("mtasts_socketmap_memory_trims_total 2\n"),
      std::string::npos);
}

TEST_F(SocketmapServerTest, AtTheLimit_TheLeastRecentlyActiveIdleConnectionMakesRoom) {
  start({.max_connections = 2});
  struct Outcome {
    bool oldest_closed = false;
    bool recent_closed = false;
    Replies replies;
  };
  auto outcome = run([&]() -> asio::awaitable<Outcome> {
    Outcome out;
    auto oldest = co_await connected();  // silent
    auto recent = co_await connected();
    co_await recent.ask("m x");
    co_await recent.replies(1);
    auto postfix = co_await connected();  // over the limit
    co_await postfix.ask("m y");
    out.replies = co_await postfix.replies(1);
    out.oldest_closed = co_await oldest.wait_closed(5s);
    co_await recent.ask("m z");
    const Replies more = co_await recent.replies(1);
    out.recent_closed = more.empty();
    co_return out;
  }());
  EXPECT_EQ(outcome.replies, (Replies{"OK m:y"}));
  EXPECT_TRUE(outcome.oldest_closed);
  EXPECT_FALSE(outcome.recent_closed);
  EXPECT_EQ(server_->stats().evicted, 1u);
  EXPECT_EQ(server_->stats().rejected, 0u);
}

TEST_F(SocketmapServerTest, AtTheLimitWithEveryConnectionBusy_TheNewOneIsClosed) {
  start({.max_connections = 1});
  auto result = run([&]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto first = co_await connected();
    co_await first.ask("m block");
    while (handler_.blocked == 0) {
      asio::steady_timer tick(io_.get_executor(), 1ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    auto second = co_await connected();
    const bool closed = co_await second.wait_closed(5s);
    handler_.release();
    auto replies = co_await first.replies(1);
    co_return std::pair{closed, replies};
  }());
  EXPECT_TRUE(result.first);
  EXPECT_EQ(result.second, (Replies{"OK m:block"}));
  EXPECT_EQ(server_->stats().rejected, 1u);
}

TEST_F(SocketmapServerTest, Drain_AnswersInFlightRequestsAndClosesIdleOnes) {
  start();
  struct Outcome {
    Replies busy_replies;
    bool busy_closed = false;
    bool idle_closed = false;
    bool new_connection_refused = false;
  };
  auto outcome = run([&]() -> asio::awaitable<Outcome> {
    Outcome out;
    auto busy = co_await connected();
    auto idle = co_await connected();
    co_await busy.send(core::encode_netstring("m block") + core::encode_netstring("m next"));
    while (handler_.blocked == 0) {
      asio::steady_timer tick(io_.get_executor(), 1ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    asio::co_spawn(io_, server_->drain(10s), asio::detached);
    out.idle_closed = co_await idle.wait_closed(5s);
    SocketmapClient late(io_.get_executor());
    const bool late_connected = co_await late.connect_tcp(port_);
    out.new_connection_refused = !late_connected;
    handler_.release();
    out.busy_replies = co_await busy.replies(2);
    out.busy_closed = co_await busy.wait_closed(5s);
    co_return out;
  }());
  EXPECT_TRUE(outcome.idle_closed);
  EXPECT_TRUE(outcome.new_connection_refused);
  EXPECT_EQ(outcome.busy_replies, (Replies{"OK m:block", "OK m:next"}));
  EXPECT_TRUE(outcome.busy_closed);
}

TEST_F(SocketmapServerTest, Drain_GivesUpAfterItsTimeout) {
  start();
  auto elapsed = run([&]() -> asio::awaitable<Clock::duration> {
    auto busy = co_await connected();
    co_await busy.ask("m block");
    while (handler_.blocked == 0) {
      asio::steady_timer tick(io_.get_executor(), 1ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    const auto t0 = Clock::now();
    co_await server_->drain(100ms);
    const auto spent = Clock::now() - t0;
    const bool closed = co_await busy.wait_closed(5s);
    EXPECT_TRUE(closed);
    handler_.release();
    co_return spent;
  }());
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(SocketmapServerUnixTest, UnixSocket_AnswersAndHasTheConfiguredMode) {
  asio::io_context io;
  Logger log(LogLevel::error);
  EchoHandler handler(io.get_executor());
  const std::string path =
      ::testing::TempDir() + "mtasts-sockmap-" + std::to_string(::getpid()) + ".sock";
  SocketmapServer server(io.get_executor(), handler, {}, log);
  auto listening = server.listen_unix(path, 0660);
  ASSERT_TRUE(listening) << listening.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  server.start();
  auto replies = testing::run_until_done(io, [&]() -> asio::awaitable<Replies> {
    SocketmapClient client(io.get_executor());
    const bool connected = co_await client.connect_unix(path);
    EXPECT_TRUE(connected);
    co_await client.ask("postfix example.com");
    co_return co_await client.replies(1);
  }());
  ASSERT_TRUE(replies);
  EXPECT_EQ(*replies, (Replies{"OK postfix:example.com"}));
  testing::run_until_done(io, [&]() -> asio::awaitable<int> {
    co_await server.drain(1s);
    co_return 0;
  }());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SocketmapServerUnixTest, ExistingRegularFile_IsNotReplaced) {
  asio::io_context io;
  Logger log(LogLevel::error);
  EchoHandler handler(io.get_executor());
  const std::string path = ::testing::TempDir() + "mtasts-notasocket-" + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fclose(f);
  }
  SocketmapServer server(io.get_executor(), handler, {}, log);
  auto listening = server.listen_unix(path, std::nullopt);
  EXPECT_FALSE(listening);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mtasts::net
