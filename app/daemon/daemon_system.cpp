#include "daemon/daemon_system.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mtasts/core/base/text.hpp"

namespace mtasts::app {
namespace {

constexpr std::uintmax_t kMaxListSize = 64ull * 1024 * 1024;
// Descriptors kept from the socketmap connections: c-ares sockets, 32 HTTPS fetches, the
// metrics listener's 64 connections, the store, the log, the event loop's own.
constexpr std::uint64_t kReservedDescriptors = 256;
// Linux refuses RLIM_INFINITY for RLIMIT_NOFILE; its default fs.nr_open.
constexpr rlim_t kUnlimitedOpenFiles = 1024 * 1024;

core::Error system_error(const std::string& what) {
  return core::Error{core::Errc::invalid_value, what + ": " + std::strerror(errno)};
}

}  // namespace

core::Result<void> ensure_state_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    return {};
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return core::fail(core::Errc::invalid_value,
                      "cannot create the state directory " + dir + ": " + ec.message());
  }
  ::chmod(dir.c_str(), 0750);
  return {};
}

core::Result<void> drop_privileges(const std::string& user, const std::string& state_dir,
                                   const std::vector<std::string>& owned_files, net::Logger& log) {
  if (::geteuid() != 0) {
    return {};
  }
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    log.log(net::LogLevel::warn, "user-missing", {{"user", user}, {"action", "running as root"}});
    return {};
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (uid == 0) {
    return {};
  }
  // The daemon writes its state directory (SQLite creates journal files beside the database).
  if (!state_dir.empty() && ::chown(state_dir.c_str(), uid, gid) != 0) {
    log.log(net::LogLevel::warn, "chown-failed",
            {{"path", state_dir}, {"error", std::strerror(errno)}});
  }
  for (const std::string& file : owned_files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && ::chown(file.c_str(), uid, gid) != 0) {
      log.log(net::LogLevel::warn, "chown-failed",
              {{"path", file}, {"error", std::strerror(errno)}});
    }
  }
  if (::initgroups(user.c_str(), gid) != 0) {
    return tl::unexpected(system_error("cannot set the groups of " + user));
  }
  if (::setgid(gid) != 0) {
    return tl::unexpected(system_error("cannot switch to the group of " + user));
  }
  if (::setuid(uid) != 0) {
    return tl::unexpected(system_error("cannot switch to user " + user));
  }
  if (::setuid(0) == 0) {  // a switch that can be undone is no switch
    return core::fail(core::Errc::invalid_value, "root privileges could be regained");
  }
  log.log(net::LogLevel::info, "privileges-dropped", {{"user", user}, {"uid", uid}});
  return {};
}

std::uint64_t raise_open_file_limit(net::Logger& log) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log.log(net::LogLevel::warn, "open-files", {{"error", std::strerror(errno)}});
    return 1024;
  }
  const rlim_t was = limit.rlim_cur;
  const rlim_t hard = limit.rlim_max == RLIM_INFINITY ? kUnlimitedOpenFiles : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < hard) {
    limit.rlim_cur = hard;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      log.log(net::LogLevel::warn, "open-files",
              {{"soft", was}, {"hard", hard}, {"error", std::strerror(errno)}});
      return was;
    }
  }
  const rlim_t now = limit.rlim_cur == RLIM_INFINITY ? kUnlimitedOpenFiles : limit.rlim_cur;
  log.log(net::LogLevel::info, "open-files", {{"soft", now}, {"hard", hard}, {"was", was}});
  return now;
}

std::size_t connection_cap(std::uint64_t open_files, std::size_t wanted) {
  const std::uint64_t usable =
      open_files > 2 * kReservedDescriptors ? open_files - kReservedDescriptors : open_files / 2;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(wanted, std::max<std::uint64_t>(usable, 1)));
}

core::Result<std::vector<std::string>> read_domain_list(const std::string& path, std::size_t limit,
                                                        net::Logger& log) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return core::fail(core::Errc::invalid_value,
                      "cannot read the preload list " + path + ": " + ec.message());
  }
  if (size > kMaxListSize) {
    return core::fail(core::Errc::too_large, "the preload list " + path + " is over 64 MiB");
  }
  std::ifstream in(path);
  if (!in) {
    return tl::unexpected(system_error("cannot read the preload list " + path));
  }
  std::vector<std::string> domains;
  std::string line;
  std::size_t skipped = 0;
  while (std::getline(in, line)) {
    const std::string_view name = core::trim_space(line);
    if (name.empty() || name.front() == '#') {
      continue;
    }
    if (domains.size() >= limit) {
      ++skipped;
      continue;
    }
    domains.emplace_back(name);
  }
  if (skipped > 0) {
    log.log(net::LogLevel::warn, "preload-truncated",
            {{"path", path}, {"kept", domains.size()}, {"skipped", skipped}});
  }
  return domains;
}

}  // namespace mtasts::app
