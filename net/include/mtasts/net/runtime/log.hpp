#pragma once

// Structured log lines for the daemon: one line per event, `key=value` pairs after a timestamp
// and a level, e.g.
//
//   2024-06-01T12:00:00.123Z level=info event=fetch domain=example.com result=ok reason=fetched
//
// Values with a space, '"', '=' or '\' are quoted and escaped; bytes outside printable ASCII
// become '?', so a remote name or message never breaks a line. Thread-safe: the store worker
// logs too. Callers test enabled() before building fields on hot paths.

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "mtasts/core/base/result.hpp"

namespace mtasts::net {

// Ordered by severity. The peer's -v names: debug, info, warn, error, fatal.
enum class LogLevel { debug, info, warn, error };

// "debug", "info", "warn", "error".
[[nodiscard]] std::string_view log_level_name(LogLevel level);

// Accepts debug, info, warn, warning, error and fatal (read as error), case-insensitively.
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view text);

// One key=value pair; the value is copied into the line, never kept.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Int>
  requires std::is_integral_v<Int> LogField(std::string_view k, Int v)
      : key(k), number(static_cast<std::int64_t>(v)) {}

  std::string_view key;
  std::string_view value;
  std::optional<std::int64_t> number;
};

class Logger {
 public:
  // Writes to stderr until open_file() succeeds.
  explicit Logger(LogLevel level = LogLevel::info);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Appends to `path` from now on (created with mode 0640).
  // Errors: net::Errc::io naming the file and the system's reason.
  [[nodiscard]] core::Result<void> open_file(std::string path);

  // Reopens the file given to open_file() (after logrotate moved it: SIGHUP). On failure the
  // old file stays in use. Without a file, does nothing.
  [[nodiscard]] core::Result<void> reopen();

  [[nodiscard]] bool enabled(LogLevel level) const { return level >= level_; }
  [[nodiscard]] LogLevel level() const { return level_; }
  void set_level(LogLevel level) { level_ = level; }

  // Writes one line if `level` is enabled.
  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

  // The line log() would write, without timestamp (for tests).
  [[nodiscard]] static std::string format_fields(LogLevel level, std::string_view event,
                                                 std::initializer_list<LogField> fields);

 private:
  LogLevel level_;
  std::mutex mutex_;
  std::FILE* file_ = nullptr;  // null: stderr
  std::string path_;
};

}  // namespace mtasts::net
