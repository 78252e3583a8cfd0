#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {
namespace {

namespace fs = std::filesystem;

class LogReopenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mtasts-log-reopen-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path dir_;
};

TEST_F(LogReopenTest, WithoutAFile_NothingIsCounted) {
  Logger log;
  ASSERT_TRUE(log.reopen());
  EXPECT_EQ(log.reopens().done, 0u);
  EXPECT_EQ(log.reopens().failed, 0u);
}

TEST_F(LogReopenTest, ARotatedFile_IsReopenedAndCounted) {
  Logger log;
  const fs::path file = dir_ / "mtasts.log";
  ASSERT_TRUE(log.open_file(file.string()));
  log.log(LogLevel::info, "before", {});
  fs::rename(file, dir_ / "mtasts.log.1");
  ASSERT_TRUE(log.reopen());
  log.log(LogLevel::info, "after", {});
  EXPECT_NE(read(dir_ / "mtasts.log.1").find("event=before"), std::string::npos);
  EXPECT_NE(read(file).find("event=after"), std::string::npos);
  EXPECT_EQ(log.reopens().done, 1u);
  EXPECT_EQ(log.reopens().failed, 0u);
  const std::string metrics = log_metrics_text(log);
  EXPECT_NE(metrics.find("mtasts_log_reopens_total{result=\"done\"} 1\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("mtasts_log_reopens_total{result=\"failed\"} 0\n"), std::string::npos)
      << metrics;
}

// A directory where the new file should be: no user, root included, can open it as a file.
TEST_F(LogReopenTest, AFileThatCannotBeOpened_IsAFailedReopen_AndTheOldFileKeepsTheLines) {
  Logger log;
  const fs::path file = dir_ / "mtasts.log";
  ASSERT_TRUE(log.open_file(file.string()));
  fs::rename(file, dir_ / "mtasts.log.1");
  fs::create_directory(file);
  EXPECT_FALSE(log.reopen());
  log.log(LogLevel::info, "still-here", {});
  EXPECT_NE(read(dir_ / "mtasts.log.1").find("event=still-here"), std::string::npos);
  EXPECT_EQ(log.reopens().done, 0u);
  EXPECT_EQ(log.reopens().failed, 1u);
  EXPECT_NE(log_metrics_text(log).find("mtasts_log_reopens_total{result=\"failed\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace mtasts::net
