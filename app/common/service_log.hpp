#pragma once

// The log of a long-running command (`mtasts daemon`, `mtasts host`) from its -v LEVEL and
// -l FILE options.

#include <string>
#include <string_view>

#include "mtasts/net/runtime/log.hpp"

namespace mtasts::app {

// Sets `log`'s level (info when `level` is empty) and opens `logfile` unless it is empty. On a
// bad level or a file that cannot be opened it prints "mtasts <command>: ..." to stderr and
// returns false: the caller exits with kExitUsage.
[[nodiscard]] bool configure_service_log(net::Logger& log, std::string_view command,
                                         std::string_view level, const std::string& logfile);

}  // namespace mtasts::app
