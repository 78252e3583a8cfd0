#include "common/input_file.hpp"

#include <cstdio>
#include <fstream>

namespace mtasts::app {

std::optional<std::string> read_capped_input(const std::string& path, std::size_t cap) {
  std::string data(cap + 1, '\0');
  if (path == "-") {
    data.resize(std::fread(data.data(), 1, data.size(), stdin));
    return data;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

}  // namespace mtasts::app
