#include "common/txt_argument.hpp"

namespace mtasts::app {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads one quoted string starting at arg[pos] == '"'; appends it to out. Returns the index
// after the closing quote, or nullopt.
std::optional<std::size_t> read_quoted(std::string_view arg, std::size_t pos, std::string& out) {
  ++pos;
  while (pos < arg.size()) {
    const char c = arg[pos];
    if (c == '"') {
      return pos + 1;
    }
    if (c != '\\') {
      out.push_back(c);
      ++pos;
      continue;
    }
    if (pos + 1 >= arg.size()) {
      return std::nullopt;
    }
    if (pos + 3 < arg.size() && is_digit(arg[pos + 1]) && is_digit(arg[pos + 2]) &&
        is_digit(arg[pos + 3])) {
      const int value =
          (arg[pos + 1] - '0') * 100 + (arg[pos + 2] - '0') * 10 + (arg[pos + 3] - '0');
      if (value > 255) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(value));
      pos += 4;
      continue;
    }
    out.push_back(arg[pos + 1]);
    pos += 2;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_txt_argument(std::string_view arg) {
  if (arg.empty() || arg.front() != '"') {
    return std::string(arg);
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < arg.size()) {
    if (arg[pos] == ' ' || arg[pos] == '\t') {
      ++pos;
      continue;
    }
    if (arg[pos] != '"') {
      return std::nullopt;
    }
    const auto next = read_quoted(arg, pos, out);
    if (!next) {
      return std::nullopt;
    }
    pos = *next;
  }
  return out;
}

}  // namespace mtasts::app
