#pragma once

// The whole of a file the host benchmarks are given (certificates, keys, policy bodies).

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace mtasts::bench {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace mtasts::bench
