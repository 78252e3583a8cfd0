#include "host/host_report_csv.hpp"

#include <array>
#include <vector>

namespace mtasts::app {
namespace {

// The JSON value as CSV text: strings as they are, numbers in decimal, null empty.
std::string value_text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return {};
  }
  return value.dump();
}

std::string line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out += (i == 0 ? "" : ",") + csv_field(fields[i]);
  }
  return out + "\r\n";
}

template <std::size_t N>
std::string table(const nlohmann::json& list, const std::array<const char*, N>& columns) {
  std::string out = line(std::vector<std::string>(columns.begin(), columns.end()));
  const nlohmann::json& rows = list.contains("reports") ? list["reports"] : list;
  if (!rows.is_array()) {
    return out;
  }
  for (const nlohmann::json& row : rows) {
    std::vector<std::string> fields;
    fields.reserve(N);
    for (const char* column : columns) {
      fields.push_back(row.contains(column) ? value_text(row[column]) : std::string());
    }
    out += line(fields);
  }
  return out;
}

}  // namespace

std::string csv_field(std::string_view text) {
  std::string field(text);
  if (!field.empty() && (field.front() == '=' || field.front() == '+' || field.front() == '-' ||
                         field.front() == '@' || field.front() == '\t' || field.front() == '\r')) {
    field.insert(field.begin(), '\'');
  }
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    return field;
  }
  std::string quoted = "\"";
  for (const char c : field) {
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return quoted + "\"";
}

std::string report_summary_csv(const nlohmann::json& summary) {
  std::string out = line({"group", "key", "result", "sessions"});
  static constexpr std::array<std::array<const char*, 2>, 3> kGroups = {
      {{"by_day", "day"}, {"by_reporter", "reporter"}, {"by_mx", "mx"}}};
  for (const auto& [member, group] : kGroups) {
    if (!summary.contains(member) || !summary[member].is_array()) {
      continue;
    }
    for (const nlohmann::json& entry : summary[member]) {
      const std::string key = entry.contains(group) ? value_text(entry[group]) : std::string();
      out +=
          line({group, key, "success", value_text(entry.value("successful", nlohmann::json(0)))});
      if (entry.contains("failures") && entry["failures"].is_object()) {
        for (const auto& [result, sessions] : entry["failures"].items()) {
          out += line({group, key, result, value_text(sessions)});
        }
      }
    }
  }
  return out;
}

std::string report_list_csv(const nlohmann::json& list) {
  static constexpr std::array<const char*, 11> kColumns = {
      "id",          "domain",  "reporter", "report_id",  "start", "end",
      "received_at", "channel", "source",   "successful", "failed"};
  return table(list, kColumns);
}

std::string kept_apart_csv(const nlohmann::json& list) {
  static constexpr std::array<const char*, 9> kColumns = {"id",       "received_at", "channel",
                                                          "reason",   "detail",      "domain",
                                                          "reporter", "report_id",   "source"};
  return table(list, kColumns);
}

}  // namespace mtasts::app
