#include "mtasts/net/runtime/stop_signals.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "test_loop.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// SIGHUP after a logrotate-style rename opens a new file and counts a reopen; SIGHUP when the
// file cannot be made (a directory in its place, for root too) keeps the old file and counts
// a failure; SIGTERM then ends the wait. The counters show in the metrics text.
TEST(StopSignals, SighupReopensTheLogAndCountsEachOutcome_SigtermEndsTheWait) {
  const fs::path dir =
      fs::temp_directory_path() / ("mtasts-stop-signals-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "mtasts.log";
  Logger log;
  ASSERT_TRUE(log.open_file(file.string()));

  asio::io_context io;
  std::optional<bool> stopped;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { stopped = co_await await_stop_signal(io, log); },
      asio::detached);
  io.poll();  // the coroutine waits on its signal set: the signals are caught from now on
  const LogReopens before = log_reopens();

  fs::rename(file, dir / "mtasts.log.1");
  ASSERT_EQ(::raise(SIGHUP), 0);
  EXPECT_TRUE(testing::drive(io, [&] { return log_reopens().done == before.done + 1; }));
  log.log(LogLevel::info, "after-rotation", {});
  EXPECT_NE(read(file).find("event=after-rotation"), std::string::npos);

  fs::rename(file, dir / "mtasts.log.2");
  fs::create_directory(file);
  ASSERT_EQ(::raise(SIGHUP), 0);
  EXPECT_TRUE(testing::drive(io, [&] { return log_reopens().failed == before.failed + 1; }));
  log.log(LogLevel::info, "kept", {});
  EXPECT_NE(read(dir / "mtasts.log.2").find("event=kept"), std::string::npos);
  EXPECT_EQ(log_reopens().done, before.done + 1);
  EXPECT_NE(log_reopen_metrics_text().find("mtasts_log_reopens_total{result=\"failed\"} " +
                                           std::to_string(before.failed + 1) + "\n"),
            std::string::npos)
      << log_reopen_metrics_text();

  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_TRUE(testing::drive(io, [&] { return stopped.has_value(); }));
  EXPECT_EQ(stopped, std::optional<bool>(true));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mtasts::net
