#include "mtasts/net/runtime/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

bool needs_quotes(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\') {
      return true;
    }
  }
  return false;
}

void append_value(std::string& out, std::string_view value) {
  const bool quoted = needs_quotes(value);
  if (quoted) {
    out += '"';
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) {
      out += '?';
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  if (quoted) {
    out += '"';
  }
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(millis));
  out += ms;
  return out;
}

core::Result<std::FILE*> open_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return core::fail(Errc::io, "cannot open log file " + path + ": " + std::strerror(errno));
  }
  std::FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    ::close(fd);
    return core::fail(Errc::io, "cannot open log file " + path + ": " + std::strerror(errno));
  }
  return file;
}

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "error";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  std::string lower;
  for (char c : text) {
    lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (lower == "debug") {
    return LogLevel::debug;
  }
  if (lower == "info") {
    return LogLevel::info;
  }
  if (lower == "warn" || lower == "warning") {
    return LogLevel::warn;
  }
  if (lower == "error" || lower == "fatal") {
    return LogLevel::error;
  }
  return std::nullopt;
}

Logger::Logger(LogLevel level) : level_(level) {}

Logger::~Logger() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

core::Result<void> Logger::open_file(std::string path) {
  auto file = open_append(path);
  if (!file) {
    return tl::unexpected(file.error());
  }
  const std::lock_guard lock(mutex_);
  if (file_ != nullptr) {
    std::fclose(file_);
  }
  file_ = *file;
  path_ = std::move(path);
  return {};
}

core::Result<void> Logger::reopen() {
  std::string path;
  {
    const std::lock_guard lock(mutex_);
    if (file_ == nullptr) {
      return {};
    }
    path = path_;
  }
  return open_file(std::move(path));
}

std::string Logger::format_fields(LogLevel level, std::string_view event,
                                  std::initializer_list<LogField> fields) {
  std::string line = "level=";
  line += log_level_name(level);
  line += " event=";
  append_value(line, event);
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    if (field.number) {
      line += std::to_string(*field.number);
    } else {
      append_value(line, field.value);
    }
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line = timestamp();
  line += ' ';
  line += format_fields(level, event, fields);
  line += '\n';
  const std::lock_guard lock(mutex_);
  std::FILE* out = file_ != nullptr ? file_ : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace mtasts::net
