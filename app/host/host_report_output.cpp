#include "host/host_report_output.hpp"

#include <sstream>

namespace mtasts::app {
namespace {

std::string text_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) {
    return "-";
  }
  return found->is_string() ? found->get<std::string>() : found->dump();
}

std::uint64_t count_of(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_unsigned() ? found->get<std::uint64_t>() : 0;
}

std::string rate(std::uint64_t ok, std::uint64_t failed) {
  if (ok + failed == 0) {
    return "-";
  }
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << 100.0 * static_cast<double>(ok) / static_cast<double>(ok + failed) << "%";
  return out.str();
}

void groups(std::ostringstream& out, const nlohmann::json& list, const char* key,
            const char* title) {
  if (!list.is_array() || list.empty()) {
    return;
  }
  out << title << "\n";
  for (const nlohmann::json& group : list) {
    const std::uint64_t ok = count_of(group, "successful");
    const std::uint64_t failed = count_of(group, "failed");
    const std::string name = text_of(group, key);
    out << "  " << (name.empty() ? "(none)" : name) << "  ok " << ok << "  failed " << failed
        << "  (" << rate(ok, failed) << " ok)";
    const auto failures = group.find("failures");
    if (failures != group.end() && failures->is_object()) {
      for (const auto& [result, sessions] : failures->items()) {
        out << "  " << result << "=" << sessions.dump();
      }
    }
    out << "\n";
  }
}

}  // namespace

std::string report_summary_text(const nlohmann::json& summary) {
  std::ostringstream out;
  const std::uint64_t ok = count_of(summary, "successful");
  const std::uint64_t failed = count_of(summary, "failed");
  out << text_of(summary, "domain") << ": mode " << text_of(summary, "mode") << ", "
      << text_of(summary, "days") << " days from " << text_of(summary, "from") << "\n";
  out << "sessions: " << ok << " successful, " << failed << " failed (" << rate(ok, failed)
      << " ok)\n";
  groups(out, summary.value("by_day", nlohmann::json()), "day", "by day:");
  groups(out, summary.value("by_reporter", nlohmann::json()), "reporter", "by reporter:");
  groups(out, summary.value("by_mx", nlohmann::json()), "mx", "by receiving MX:");
  const nlohmann::json stopped = summary.value("reporters_stopped", nlohmann::json::array());
  for (const nlohmann::json& reporter : stopped) {
    out << "reporter stopped: " << text_of(reporter, "reporter") << " (last report "
        << text_of(reporter, "last_report") << ")\n";
  }
  for (const nlohmann::json& finding : summary.value("findings", nlohmann::json::array())) {
    out << "finding " << text_of(finding, "code") << ": " << text_of(finding, "message") << "\n";
  }
  const nlohmann::json readiness = summary.value("readiness", nlohmann::json::object());
  out << "enforce readiness: " << text_of(readiness, "verdict") << "\n";
  for (const nlohmann::json& reason : readiness.value("reasons", nlohmann::json::array())) {
    out << "  " << (reason.is_string() ? reason.get<std::string>() : reason.dump()) << "\n";
  }
  if (readiness.contains("command")) {
    out << "  apply with: " << text_of(readiness, "command") << "\n";
  }
  return out.str();
}

std::string report_list_text(const nlohmann::json& list) {
  std::ostringstream out;
  const nlohmann::json reports = list.value("reports", nlohmann::json::array());
  for (const nlohmann::json& report : reports) {
    out << text_of(report, "id") << "  " << text_of(report, "start") << "  "
        << text_of(report, "domain") << "  " << text_of(report, "reporter") << "  "
        << text_of(report, "report_id") << "  ok " << count_of(report, "successful") << "  failed "
        << count_of(report, "failed") << "  via " << text_of(report, "channel") << "\n";
  }
  if (reports.empty()) {
    out << "no reports\n";
  }
  return out.str();
}

std::string kept_apart_text(const nlohmann::json& list) {
  std::ostringstream out;
  const nlohmann::json reports = list.value("reports", nlohmann::json::array());
  for (const nlohmann::json& report : reports) {
    out << text_of(report, "id") << "  " << text_of(report, "received_at") << "  "
        << text_of(report, "reason") << "  " << text_of(report, "domain") << "  via "
        << text_of(report, "channel") << " from " << text_of(report, "source") << ": "
        << text_of(report, "detail") << "\n";
  }
  if (reports.empty()) {
    out << "no reports kept apart\n";
  }
  return out.str();
}

std::string report_detail_text(const nlohmann::json& report) {
  std::ostringstream out;
  out << "report " << text_of(report, "id") << " of " << text_of(report, "reporter") << " ("
      << text_of(report, "report_id") << ") for " << text_of(report, "domain") << "\n";
  out << "period " << text_of(report, "start") << " to " << text_of(report, "end") << ", received "
      << text_of(report, "received_at") << " via " << text_of(report, "channel") << "\n";
  out << "sessions: " << count_of(report, "successful") << " successful, "
      << count_of(report, "failed") << " failed\n";
  for (const nlohmann::json& finding : report.value("findings", nlohmann::json::array())) {
    out << "  " << text_of(finding, "code") << " " << text_of(finding, "path") << ": "
        << text_of(finding, "message") << "\n";
  }
  out << report.value("report", nlohmann::json()).dump(2) << "\n";
  return out.str();
}

}  // namespace mtasts::app
