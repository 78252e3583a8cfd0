#include <algorithm>
#include <cstdint>
#include <utility>

#include "tlsrpt/tlsrpt_report_json.hpp"
#include "tlsrpt/tlsrpt_report_reader.hpp"

namespace mtasts::core {

using nlohmann::json;

namespace {

// The strings of `text` when it is the JSON text of an array of strings; nullopt otherwise.
std::optional<std::vector<std::string>> embedded_string_array(const std::string& text,
                                                              std::size_t max_depth) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '[') {
    return std::nullopt;
  }
  const auto inner = parse_bounded_json(text, max_depth);
  if (!inner || !inner->value.is_array() ||
      !std::all_of(inner->value.begin(), inner->value.end(),
                   [](const json& element) { return element.is_string(); })) {
    return std::nullopt;
  }
  return inner->value.get<std::vector<std::string>>();
}

}  // namespace

// A policy-string that is one string: Microsoft sends its TLSA records as the text of a JSON
// array; anything else is taken as the only line.
std::vector<std::string> TlsrptReportReader::unpack_policy_string(const std::string& text,
                                                                  const std::string& path,
                                                                  FieldNeed need) {
  if (text.empty()) {
    if (need == FieldNeed::required) {
      add(TlsrptReportCode::field_empty, path, "required field is an empty string");
    }
    return {};
  }
  if (auto lines = embedded_string_array(text, limits_.max_depth)) {
    add(TlsrptReportCode::policy_string_embedded_json, path,
        "is one string holding a JSON array of " + std::to_string(lines->size()) +
            " strings, not the array itself; unpacked");
    return std::move(*lines);
  }
  add(TlsrptReportCode::single_value_not_array, path,
      "is one string, not an array of strings; read as its only entry");
  return {text};
}

// RFC 8460 §4.4: "a JSON array of strings"; omitted or empty for no-policy-found
// (CONFORMANCE 098 T3), so it is required only for sts and tlsa.
std::vector<std::string> TlsrptReportReader::read_policy_string(const json& block,
                                                                const std::string& parent,
                                                                TlsrptPolicyType type) {
  const std::string path = field_path(parent, "policy-string");
  const FieldNeed need = type == TlsrptPolicyType::sts || type == TlsrptPolicyType::tlsa
                             ? FieldNeed::required
                             : FieldNeed::optional;
  const json* value = member(block, "policy-string");
  if (!check_present(value, path, need)) {
    return {};
  }
  if (value->is_string()) {
    return unpack_policy_string(value->get<std::string>(), path, need);
  }
  if (!value->is_array()) {
    add(TlsrptReportCode::field_type, path,
        std::string("is a JSON ") + value->type_name() + ", not an array of strings; ignored");
    return {};
  }
  if (value->empty() && need == FieldNeed::required) {
    add(TlsrptReportCode::field_empty, path, "required array is empty");
  }
  // The same JSON text, wrapped in an array of one.
  if (value->size() == 1 && (*value)[0].is_string()) {
    if (auto lines = embedded_string_array((*value)[0].get<std::string>(), limits_.max_depth)) {
      add(TlsrptReportCode::policy_string_embedded_json, path,
          "holds one string that is itself a JSON array of " + std::to_string(lines->size()) +
              " strings; unpacked");
      return std::move(*lines);
    }
  }
  return read_string_array(*value, path);
}

// RFC 8460 §4.4 (and erratum 6241): an array of the policy's mx patterns; the RFC's own example
// writes one string, and "mx-host-pattern" is the prose's name for the same field.
std::vector<std::string> TlsrptReportReader::read_mx_host(const json& block,
                                                          const std::string& parent) {
  std::string_view key = "mx-host";
  const json* value = member(block, key);
  if (const json* alias = member(block, "mx-host-pattern"); alias != nullptr) {
    if (value != nullptr && !value->is_null()) {
      add(TlsrptReportCode::alias_field, field_path(parent, "mx-host-pattern"),
          "alias of \"mx-host\", which is also present and wins; ignored");
    } else {
      add(TlsrptReportCode::alias_field, field_path(parent, "mx-host-pattern"),
          "read as \"mx-host\" (the key of the RFC 8460 §4.4 schema)");
      key = "mx-host-pattern";
      value = alias;
    }
  }
  const std::string path = field_path(parent, key);
  if (value == nullptr || value->is_null()) {
    return {};
  }
  if (value->is_string()) {
    if (value->get_ref<const std::string&>().empty()) {
      return {};
    }
    add(TlsrptReportCode::mx_host_string, path,
        "is one string, not an array; read as its only entry");
    return {value->get<std::string>()};
  }
  if (!value->is_array()) {
    add(TlsrptReportCode::field_type, path,
        std::string("is a JSON ") + value->type_name() + ", not an array of strings; ignored");
    return {};
  }
  return read_string_array(*value, path);
}

TlsrptPolicy TlsrptReportReader::read_policy_block(const json& block, const std::string& path) {
  note_unknown_fields(
      block, path, {"policy-type", "policy-string", "policy-domain", "mx-host", "mx-host-pattern"});
  TlsrptPolicy policy;
  policy.type_text = read_string(block, path, "policy-type", FieldNeed::required).value_or("");
  if (policy.type_text == "sts") {
    policy.type = TlsrptPolicyType::sts;
  } else if (policy.type_text == "tlsa") {
    policy.type = TlsrptPolicyType::tlsa;
  } else if (policy.type_text == "no-policy-found") {
    policy.type = TlsrptPolicyType::no_policy_found;
  } else if (!policy.type_text.empty()) {
    // RFC 8460 §4.4 allows only the three; a newer sender may know more, so keep the text.
    policy.type = TlsrptPolicyType::unknown;
    add(TlsrptReportCode::policy_type_unknown, field_path(path, "policy-type"),
        shown(policy.type_text) + " is not sts, tlsa or no-policy-found; kept as written");
  }
  policy.policy_string = read_policy_string(block, path, policy.type);
  policy.policy_domain = read_string(block, path, "policy-domain", FieldNeed::required);
  policy.mx_host = read_mx_host(block, path);
  return policy;
}

TlsrptFailureDetail TlsrptReportReader::read_failure_detail(const json& detail,
                                                            const std::string& path) {
  note_unknown_fields(detail, path,
                      {"result-type", "sending-mta-ip", "receiving-mx-hostname",
                       "receiving-mx-helo", "receiving-ip", "failed-session-count",
                       "additional-information", "additional-info-uri", "failure-reason-code"});
  TlsrptFailureDetail out;
  out.result_type_text = read_string(detail, path, "result-type", FieldNeed::required).value_or("");
  if (!out.result_type_text.empty()) {
    out.result_type = tlsrpt_result_type_from_string(out.result_type_text);
    if (!out.result_type) {
      // RFC 8460 §6.6: the registry grows by Expert Review, so an unknown type is not an error.
      add(TlsrptReportCode::result_type_unknown, field_path(path, "result-type"),
          shown(out.result_type_text) + " is not an RFC 8460 §4.3 result type; kept as written");
    }
  }
  // Only sending-mta-ip is required here: the receiving MX fields do not exist for a policy
  // fetch failure (CONFORMANCE 101 T1), and §4.4 marks helo and the URI optional.
  out.sending_mta_ip = read_string(detail, path, "sending-mta-ip", FieldNeed::required);
  out.receiving_mx_hostname =
      read_string(detail, path, "receiving-mx-hostname", FieldNeed::optional);
  out.receiving_mx_helo = read_string(detail, path, "receiving-mx-helo", FieldNeed::optional);
  out.receiving_ip = read_string(detail, path, "receiving-ip", FieldNeed::optional);
  out.failed_session_count = read_count(detail, path, "failed-session-count");
  out.additional_information =
      read_aliased_string(detail, path, "additional-information", "additional-info-uri");
  out.failure_reason_code = read_string(detail, path, "failure-reason-code", FieldNeed::optional);
  return out;
}

// RFC 8460 §4: failure types are "non-exclusive", so the details may legitimately add up to
// more than the total; the mismatch is reported, never corrected.
void TlsrptReportReader::check_failure_total(const TlsrptPolicy& policy, const std::string& path) {
  if (!policy.total_failure_session_count || policy.failure_details.empty()) {
    return;
  }
  std::uint64_t sum = 0;
  for (const TlsrptFailureDetail& detail : policy.failure_details) {
    if (!detail.failed_session_count) {
      return;
    }
    sum += *detail.failed_session_count;  // each is below 2^53; many may still wrap, so cap
    if (sum > kTlsrptMaxCount) {
      sum = kTlsrptMaxCount + 1;
    }
  }
  if (sum != *policy.total_failure_session_count) {
    add(TlsrptReportCode::failure_count_mismatch, path + "/summary/total-failure-session-count",
        "is " + std::to_string(*policy.total_failure_session_count) +
            " but the failed-session-counts of the failure details add up to " +
            (sum > kTlsrptMaxCount ? std::string("more than 2^53-1") : std::to_string(sum)));
  }
}

TlsrptPolicy TlsrptReportReader::read_policy(const json& entry, const std::string& path) {
  note_unknown_fields(entry, path, {"policy", "summary", "failure-details"});
  TlsrptPolicy policy;
  if (const json* block = read_object(entry, path, "policy"); block != nullptr) {
    policy = read_policy_block(*block, path + "/policy");
  }
  if (const json* summary = read_object(entry, path, "summary"); summary != nullptr) {
    const std::string summary_path = path + "/summary";
    note_unknown_fields(*summary, summary_path,
                        {"total-successful-session-count", "total-failure-session-count"});
    policy.total_successful_session_count =
        read_count(*summary, summary_path, "total-successful-session-count");
    policy.total_failure_session_count =
        read_count(*summary, summary_path, "total-failure-session-count");
  }
  // CONFORMANCE 092 T3: a day without failures may omit the member.
  for (const ReportArrayItem& item :
       read_object_array(entry, path, "failure-details", FieldNeed::optional)) {
    policy.failure_details.push_back(read_failure_detail(*item.value, item.path));
  }
  check_failure_total(policy, path);
  return policy;
}

}  // namespace mtasts::core
