// The failure modes both SQLite stores share (they open their files alike): a damaged or
// foreign file, a directory that cannot be created or written, no file name. Run on the
// policy cache and on the hosting store.

#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <ostream>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

struct SqliteBackend {
  std::string name;
  std::string file_name;
  // Opens (creating) the store on `file`: the error, or nullopt when it opened.
  std::function<std::optional<Error>(const std::filesystem::path& file)> open;
  // Opens the store on `file` and writes enough to fill several pages.
  std::function<void(const std::filesystem::path& file)> fill;
};

void PrintTo(const SqliteBackend& backend, std::ostream* out) {
  *out << backend.name;
}

SqliteBackend policy_cache() {
  const auto config = [](const std::filesystem::path& file) {
    StoreConfig c;
    c.type = StoreType::sqlite;
    c.filename = file.string();
    c.timeout = std::chrono::milliseconds(500);
    return c;
  };
  return {"policy_cache", "cache.db",
          [config](const std::filesystem::path& file) -> std::optional<Error> {
            auto store = open_store(config(file));
            return store ? std::nullopt : std::optional<Error>(store.error());
          },
          [config](const std::filesystem::path& file) {
            auto store = open_store(config(file));
            ASSERT_TRUE(store.has_value()) << store.error().message;
            for (int i = 0; i < 300; ++i) {
              ASSERT_TRUE((*store)->put(
                  make_policy("d" + std::to_string(i) + ".example", "id", wall_now())));
            }
          }};
}

SqliteBackend hosting_store() {
  return {"hosting_store", "hosting.db",
          [](const std::filesystem::path& file) -> std::optional<Error> {
            auto store = open_hosting_store(sqlite_hosting_config(file));
            return store ? std::nullopt : std::optional<Error>(store.error());
          },
          [](const std::filesystem::path& file) {
            auto store = open_hosting_or_fail(sqlite_hosting_config(file));
            ASSERT_NE(store, nullptr);
            for (int i = 0; i < 300; ++i) {
              ASSERT_TRUE(store->append_audit(audit_entry("d" + std::to_string(i) + ".example",
                                                          "domain.add", host_time(kT0),
                                                          std::string(200, 'x'))));
            }
          }};
}

class SqliteFile : public ::testing::TestWithParam<SqliteBackend> {
 protected:
  // The error of opening the store on `file`; a failure if it opened.
  Error open_error(const std::filesystem::path& file) {
    auto error = GetParam().open(file);
    EXPECT_TRUE(error.has_value()) << "the store opened " << file;
    return error.value_or(Error{});
  }

  const ScratchDir dir_;
  const std::filesystem::path file_ = dir_.path() / GetParam().file_name;
};

TEST_P(SqliteFile, Open_GarbageFile_CorruptNamingTheFile) {
  write_bytes(file_, std::string(4096, '\x5a'));
  const Error error = open_error(file_);
  EXPECT_EQ(error.code, Errc::corrupt);
  EXPECT_NE(error.message.find(file_.string()), std::string::npos) << error.message;
}

TEST_P(SqliteFile, Open_DamagedPages_CorruptNamingTheFile) {
  GetParam().fill(file_);
  // Page 1 (the header) stays intact; the b-tree pages after it are overwritten.
  write_bytes(file_, std::string(3 * 4096, '\x5a'), 4096);
  const Error error = open_error(file_);
  EXPECT_EQ(error.code, Errc::corrupt) << error.message;
  EXPECT_NE(error.message.find(file_.string()), std::string::npos) << error.message;
}

TEST_P(SqliteFile, Open_DirectoryCannotBeCreated_WriteFailed) {
  write_bytes(dir_.path() / "not-a-directory", "x");
  const Error error = open_error(dir_.path() / "not-a-directory" / GetParam().file_name);
  EXPECT_EQ(error.code, Errc::write_failed) << error.message;
}

TEST_P(SqliteFile, Open_UnwritableDirectory_WriteFailed) {
  if (::geteuid() == 0) {
    // Root writes through directory permissions; a directory that cannot be created stands
    // in for it (and the full disk tests of each store).
    const Error error = open_error("/proc/mtasts-cannot-exist/" + GetParam().file_name);
    EXPECT_EQ(error.code, Errc::write_failed) << error.message;
    return;
  }
  std::filesystem::permissions(
      dir_.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const Error error = open_error(file_);
  EXPECT_EQ(error.code, Errc::write_failed) << error.message;
}

TEST_P(SqliteFile, Open_EmptyFilename_InvalidConfig) {
  EXPECT_EQ(open_error("").code, Errc::invalid_config);
}

INSTANTIATE_TEST_SUITE_P(Stores, SqliteFile, ::testing::Values(policy_cache(), hosting_store()),
                         [](const ::testing::TestParamInfo<SqliteBackend>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace mtasts::store::test
