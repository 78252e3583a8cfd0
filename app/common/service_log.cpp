#include "common/service_log.hpp"

#include <iostream>
#include <optional>

namespace mtasts::app {

bool configure_service_log(net::Logger& log, std::string_view command, std::string_view level,
                           const std::string& logfile) {
  const auto parsed =
      level.empty() ? std::optional(net::LogLevel::info) : net::parse_log_level(level);
  if (!parsed) {
    std::cerr << "mtasts " << command << ": -v: expected debug, info, warn, error or fatal, got "
              << level << "\n";
    return false;
  }
  log.set_level(*parsed);
  if (!logfile.empty()) {
    if (auto opened = log.open_file(logfile); !opened) {
      std::cerr << "mtasts " << command << ": " << opened.error().message << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace mtasts::app
