#include "common/input_file.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace mtasts::app {
namespace {

// Read in pieces, so a large cap costs nothing for a small file.
constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

std::optional<std::string> read_capped_input(const std::string& path, std::size_t cap) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      return std::nullopt;
    }
  }
  std::string data;
  std::string buffer(kChunk, '\0');
  while (data.size() <= cap) {
    const std::size_t want = std::min(kChunk, cap + 1 - data.size());
    std::size_t got = 0;
    if (path == "-") {
      got = std::fread(buffer.data(), 1, want, stdin);
    } else {
      file.read(buffer.data(), static_cast<std::streamsize>(want));
      got = static_cast<std::size_t>(file.gcount());
    }
    data.append(buffer, 0, got);
    if (got < want) {
      break;
    }
  }
  return data;
}

}  // namespace mtasts::app
