// A failed audit write is logged with a reason code (hosting/host_json.hpp), never dropped.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mtasts/hosting/host_json.hpp"

namespace mtasts::hosting {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AuditLog, FailedWrite_IsAWarnLineWithTheReasonCode) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("mtasts-audit-log-" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".log");
  std::filesystem::remove(path);
  {
    net::Logger log(net::LogLevel::info);
    ASSERT_TRUE(log.open_file(path.string()));
    const store::AuditEntry entry =
        make_audit(core::HostTime(std::chrono::seconds(1'700'000'000)), "system:a", "example.com",
                   "monitor.failing", {{"errors", {"policy-fetch"}}});
    log_audit_failure(
        log, entry,
        store::Error{store::Errc::write_failed, "attempt to write a readonly database"});
  }
  const std::string line = read_text(path);
  std::filesystem::remove(path);
  EXPECT_NE(line.find(" level=warn event=audit-write-failed action=monitor.failing "
                      "domain=example.com actor=system:a reason=write_failed "
                      "error=\"attempt to write a readonly database\"\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace mtasts::hosting
