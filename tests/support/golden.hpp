#pragma once

// Golden-file helpers for table-driven tests: tests/testdata/golden/<name>.jsonl holds one JSON
// object per line, each with a "case" id (a CONFORMANCE.md test case such as "005-T2a").

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtasts::testing {

inline std::vector<nlohmann::json> load_golden(const std::string& name) {
  const std::string path = std::string(MTASTS_TESTDATA_DIR) + "/golden/" + name;
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot open golden file " + path);
  }
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    rows.push_back(nlohmann::json::parse(line));
  }
  if (rows.empty()) {
    throw std::runtime_error("golden file " + path + " has no rows");
  }
  return rows;
}

// A gtest parameter name from the row's case id ("005-T2a" -> "c005_T2a").
inline std::string golden_name(const ::testing::TestParamInfo<nlohmann::json>& info) {
  std::string name = "c" + info.param.at("case").get<std::string>();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

// A golden row's list of strings, sorted (to compare with sorted findings).
inline std::vector<std::string> sorted_strings(const nlohmann::json& list) {
  auto out = list.get<std::vector<std::string>>();
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mtasts::testing
