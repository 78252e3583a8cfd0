#pragma once

// What `mtasts daemon` asks of the operating system besides the network: the state directory,
// dropping root, the open-file limit, the preload list file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::app {

// Creates `dir` (and its parents) with mode 0750 when missing.
// Errors: Errc::invalid_value naming the directory and the system's reason.
[[nodiscard]] core::Result<void> ensure_state_dir(const std::string& dir);

// Started as root: gives `state_dir`, and the files in `owned_files` that exist, to `user`,
// then switches to that user's uid, gid and groups. A `user` that does not exist is a warning,
// and the daemon goes on as root; so is "root" itself. Not root: nothing to do.
// Errors: Errc::invalid_value when the switch itself fails (never half-done: the process exits).
[[nodiscard]] core::Result<void> drop_privileges(const std::string& user,
                                                 const std::string& state_dir,
                                                 const std::vector<std::string>& owned_files,
                                                 net::Logger& log);

// Raises the soft RLIMIT_NOFILE to the hard limit (a daemon started from a shell keeps the
// shell's soft limit, often 1024, though the hard limit allows far more) and logs the limits
// (`open-files`). A failure is logged and the old limit kept. Returns the soft limit in force.
std::uint64_t raise_open_file_limit(net::Logger& log);

// The socketmap connections `open_files` descriptors allow, at most `wanted`: some are kept for
// DNS, policy fetches, the store, the metrics listener and the log, so that at the cap the
// server closes an idle connection or refuses the new one itself instead of running out of
// descriptors.
std::size_t connection_cap(std::uint64_t open_files, std::size_t wanted);

// Domains listed in `path`: one per line; blank lines and lines starting with '#' are skipped,
// surrounding whitespace is trimmed. At most `limit` names are read (the rest is a warning).
// Errors: Errc::invalid_value when the file cannot be read; Errc::too_large over 64 MiB.
[[nodiscard]] core::Result<std::vector<std::string>> read_domain_list(const std::string& path,
                                                                      std::size_t limit,
                                                                      net::Logger& log);

}  // namespace mtasts::app
