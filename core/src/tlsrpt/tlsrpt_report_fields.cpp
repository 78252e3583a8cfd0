#include <cstdint>
#include <utility>

#include "mtasts/core/base/text.hpp"
#include "tlsrpt/tlsrpt_report_json.hpp"
#include "tlsrpt/tlsrpt_report_reader.hpp"

namespace mtasts::core {

using nlohmann::json;

const json* TlsrptReportReader::member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string TlsrptReportReader::shown(std::string_view text) {
  return "\"" + printable(text) + "\"";
}

std::string TlsrptReportReader::field_path(const std::string& parent, std::string_view key) {
  return parent + "/" + std::string(key);
}

// Warns about an absent or null required field; true when there is a non-null value.
bool TlsrptReportReader::check_present(const json* value, const std::string& path, FieldNeed need) {
  if (value != nullptr && !value->is_null()) {
    return true;
  }
  if (need == FieldNeed::required && value == nullptr) {
    add(TlsrptReportCode::field_missing, path, "required field is absent");
  } else if (need == FieldNeed::required) {
    add(TlsrptReportCode::field_null, path, "required field is null");
  }
  return false;
}

void TlsrptReportReader::note_unknown_fields(const json& object, const std::string& path,
                                             std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool is_known = false;
    for (const std::string_view name : known) {
      is_known = is_known || name == key;
    }
    if (!is_known) {
      add(TlsrptReportCode::unknown_field, path + json_pointer_segment(key),
          "field not defined by RFC 8460 §4.4; ignored");
    }
  }
}

std::optional<std::string> TlsrptReportReader::read_string(const json& object,
                                                           const std::string& parent,
                                                           std::string_view key, FieldNeed need) {
  const std::string path = field_path(parent, key);
  const json* value = member(object, key);
  if (!check_present(value, path, need)) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    add(TlsrptReportCode::field_type, path,
        std::string("is a JSON ") + value->type_name() + ", not a string; ignored");
    return std::nullopt;
  }
  std::string text = value->get<std::string>();
  if (text.empty() && need == FieldNeed::required) {
    add(TlsrptReportCode::field_empty, path, "required field is an empty string");
  }
  return text;
}

// RFC 8460 §4.4 names some fields twice: the JSON key of the schema figure and the type name
// of the prose, which some senders and receivers use as the key. The schema key wins.
std::optional<std::string> TlsrptReportReader::read_aliased_string(const json& object,
                                                                   const std::string& parent,
                                                                   std::string_view key,
                                                                   std::string_view alias) {
  if (member(object, alias) == nullptr) {
    return read_string(object, parent, key, FieldNeed::optional);
  }
  if (const json* value = member(object, key); value != nullptr && !value->is_null()) {
    add(TlsrptReportCode::alias_field, field_path(parent, alias),
        "alias of \"" + std::string(key) + "\", which is also present and wins; ignored");
    return read_string(object, parent, key, FieldNeed::optional);
  }
  add(TlsrptReportCode::alias_field, field_path(parent, alias),
      "read as \"" + std::string(key) + "\" (the key of the RFC 8460 §4.4 schema)");
  return read_string(object, parent, alias, FieldNeed::optional);
}

// RFC 8460 §4.4: counts are "an integer, encoded as a JSON number"; I-JSON bounds them.
TlsrptCount TlsrptReportReader::read_count(const json& object, const std::string& parent,
                                           std::string_view key) {
  const std::string path = field_path(parent, key);
  const json* value = member(object, key);
  if (!check_present(value, path, FieldNeed::required)) {
    return std::nullopt;
  }
  if (value->is_number_unsigned()) {
    const auto count = value->get<std::uint64_t>();
    if (count <= kTlsrptMaxCount) {
      return count;
    }
    add(TlsrptReportCode::count_invalid, path,
        std::to_string(count) + " exceeds 2^53-1 (I-JSON); kept as unknown");
    return std::nullopt;
  }
  if (value->is_number_integer()) {
    const auto count = value->get<std::int64_t>();
    if (count >= 0) {
      return static_cast<std::uint64_t>(count);
    }
    add(TlsrptReportCode::count_invalid, path,
        std::to_string(count) + " is negative; kept as unknown");
    return std::nullopt;
  }
  if (value->is_number_float()) {
    add(TlsrptReportCode::count_invalid, path,
        value->dump() + " is not an integer; kept as unknown");
    return std::nullopt;
  }
  add(TlsrptReportCode::count_invalid, path,
      std::string("is a JSON ") + value->type_name() + ", not a number; kept as unknown");
  return std::nullopt;
}

// A required member that must be an object; nullptr (with a warning) otherwise.
const json* TlsrptReportReader::read_object(const json& object, const std::string& parent,
                                            std::string_view key) {
  const std::string path = field_path(parent, key);
  const json* value = member(object, key);
  if (!check_present(value, path, FieldNeed::required)) {
    return nullptr;
  }
  if (!value->is_object()) {
    add(TlsrptReportCode::field_type, path,
        std::string("is a JSON ") + value->type_name() + ", not an object; ignored");
    return nullptr;
  }
  return value;
}

// An array of objects (policies, failure-details). A lone object stands for a one-element
// array (RFC 8460 §4 requires the array); elements that are not objects are skipped.
std::vector<ReportArrayItem> TlsrptReportReader::read_object_array(const json& object,
                                                                   const std::string& parent,
                                                                   std::string_view key,
                                                                   FieldNeed need) {
  const std::string path = field_path(parent, key);
  const json* value = member(object, key);
  std::vector<ReportArrayItem> items;
  if (!check_present(value, path, need)) {
    return items;
  }
  if (value->is_object()) {
    add(TlsrptReportCode::single_value_not_array, path,
        "is one object, not an array; read as an array of one");
    items.push_back(ReportArrayItem{path, value});
    return items;
  }
  if (!value->is_array()) {
    add(TlsrptReportCode::field_type, path,
        std::string("is a JSON ") + value->type_name() + ", not an array; ignored");
    return items;
  }
  if (value->empty() && need == FieldNeed::required) {
    add(TlsrptReportCode::field_empty, path, "required array is empty");
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const std::string element_path = path + "/" + std::to_string(i);
    const json& element = (*value)[i];
    if (!element.is_object()) {
      add(TlsrptReportCode::field_type, element_path,
          std::string("is a JSON ") + element.type_name() + ", not an object; skipped");
      continue;
    }
    items.push_back(ReportArrayItem{element_path, &element});
  }
  return items;
}

// The strings of an array; other elements are skipped with a warning.
std::vector<std::string> TlsrptReportReader::read_string_array(const json& value,
                                                               const std::string& path) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      add(TlsrptReportCode::field_type, path + "/" + std::to_string(i),
          std::string("is a JSON ") + value[i].type_name() + ", not a string; skipped");
      continue;
    }
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

}  // namespace mtasts::core
