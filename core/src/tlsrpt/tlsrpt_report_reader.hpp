#pragma once

// The walk over a parsed TLS-RPT report (private to core): field readers that keep what they
// can and record a finding for the rest. tlsrpt_report.cpp holds the top level and the date
// range, tlsrpt_report_policy.cpp the policies, tlsrpt_report_fields.cpp the generic readers.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace mtasts::core {

// Whether RFC 8460 §4.4 requires a field: a required one that is absent, null or empty gets a
// warning; an optional one is simply left unset.
enum class FieldNeed { required, optional };

// One element of an array field with its JSON pointer.
struct ReportArrayItem {
  std::string path;
  const nlohmann::json* value;
};

// Walks the parsed JSON of one report, keeping what it can read and a finding for the rest.
class TlsrptReportReader {
 public:
  explicit TlsrptReportReader(const TlsrptReportLimits& limits) : limits_(limits) {}

  TlsrptReport read(const nlohmann::json& top);
  void add(TlsrptReportCode code, std::string path, std::string message) {
    findings_.push_back(TlsrptReportFinding{code, std::move(path), std::move(message)});
  }

 private:
  // Member `key` of `object`; nullptr when absent.
  static const nlohmann::json* member(const nlohmann::json& object, std::string_view key);
  // `text` quoted and made printable for a message.
  static std::string shown(std::string_view text);
  // parent + "/" + key, for keys of the schema (which need no RFC 6901 escaping).
  static std::string field_path(const std::string& parent, std::string_view key);

  bool check_present(const nlohmann::json* value, const std::string& path, FieldNeed need);
  void note_unknown_fields(const nlohmann::json& object, const std::string& path,
                           std::initializer_list<std::string_view> known);
  std::optional<std::string> read_string(const nlohmann::json& object, const std::string& parent,
                                         std::string_view key, FieldNeed need);
  std::optional<std::string> read_aliased_string(const nlohmann::json& object,
                                                 const std::string& parent, std::string_view key,
                                                 std::string_view alias);
  TlsrptCount read_count(const nlohmann::json& object, const std::string& parent,
                         std::string_view key);
  const nlohmann::json* read_object(const nlohmann::json& object, const std::string& parent,
                                    std::string_view key);
  std::vector<ReportArrayItem> read_object_array(const nlohmann::json& object,
                                                 const std::string& parent, std::string_view key,
                                                 FieldNeed need);
  std::vector<std::string> read_string_array(const nlohmann::json& value, const std::string& path);
  TlsrptDateTime read_date_time(const nlohmann::json& range, const std::string& parent,
                                std::string_view key);
  TlsrptDateRange read_date_range(const nlohmann::json& top);
  TlsrptPolicy read_policy(const nlohmann::json& entry, const std::string& path);
  TlsrptPolicy read_policy_block(const nlohmann::json& block, const std::string& path);
  std::vector<std::string> read_policy_string(const nlohmann::json& block,
                                              const std::string& parent, TlsrptPolicyType type);
  std::vector<std::string> unpack_policy_string(const std::string& text, const std::string& path,
                                                FieldNeed need);
  std::vector<std::string> read_mx_host(const nlohmann::json& block, const std::string& parent);
  TlsrptFailureDetail read_failure_detail(const nlohmann::json& detail, const std::string& path);
  void check_failure_total(const TlsrptPolicy& policy, const std::string& path);

  const TlsrptReportLimits& limits_;
  std::vector<TlsrptReportFinding> findings_;
};

}  // namespace mtasts::core
