#include "base/tag_record.hpp"

#include <algorithm>
#include <string>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {

bool is_tag_ext_value(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != ';' && c != '=';
  });
}

bool is_candidate_record(std::string_view text, std::string_view version_literal) {
  if (text.substr(0, version_literal.size()) != version_literal) {
    return false;
  }
  std::string_view rest = text.substr(version_literal.size());
  while (!rest.empty() && is_wsp(rest.front())) {
    rest.remove_prefix(1);
  }
  return !rest.empty() && rest.front() == ';';
}

std::vector<TagField> split_tag_record(std::string_view text, const TagRecordSyntax& syntax,
                                       Findings& findings) {
  std::vector<TagField> fields;
  const std::string rec(syntax.record_name);
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return c != '\t' && (!is_ascii(c) || is_control(c)); })) {
    findings.add(syntax.codes.non_ascii, "the " + rec +
                                             " record must be printable US-ASCII; it contains \"" +
                                             printable(text) + "\"");
    return fields;
  }
  const std::string_view version = syntax.version_literal;
  if (text.substr(0, version.size()) != version) {
    std::string hint;
    if (!text.empty() && is_wsp(text.front())) {
      hint = " (remove the leading whitespace)";
    } else if (iequals(text.substr(0, version.size()), version)) {
      hint = " (the version is case-sensitive)";
    }
    findings.add(syntax.codes.version_missing,
                 "the " + rec + " record must begin with \"" + std::string(version) + ";\"" + hint);
    return fields;
  }
  std::string_view rest = text.substr(version.size());
  const std::size_t first_semicolon = rest.find(';');
  if (!trim_wsp(rest.substr(0, first_semicolon)).empty()) {
    findings.add(syntax.codes.version_missing, "the " + rec + " record must begin with \"" +
                                                   std::string(version) + ";\", found \"" +
                                                   printable(text.substr(0, 20)) + "\"");
    return fields;
  }
  if (first_semicolon == std::string_view::npos) {
    return fields;  // no fields at all: the caller reports the missing required field
  }
  rest.remove_prefix(first_semicolon + 1);
  while (true) {
    const std::size_t semicolon = rest.find(';');
    const bool last = semicolon == std::string_view::npos;
    const std::string_view raw = rest.substr(0, semicolon);
    const std::string_view field = trim_wsp(raw);
    if (field.empty()) {
      if (!last) {
        findings.add(syntax.codes.empty_field,
                     "the " + rec + " record has an empty field (\";;\"): remove the extra \";\"");
      }
      // An empty tail after the last ";" is the optional trailing delimiter.
      break;
    }
    if (last && raw.size() != raw.find_last_not_of(" \t") + 1) {
      findings.add(syntax.codes.trailing_whitespace,
                   "the " + rec +
                       " record ends in whitespace without a final \";\"; strict "
                       "parsers reject it: remove the trailing whitespace");
    }
    const std::size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      findings.add(syntax.codes.field_syntax, "the " + rec + " record field \"" + printable(field) +
                                                  "\" is not of the form name=value");
    } else {
      const std::string_view name = field.substr(0, eq);
      if (!is_ext_name(name)) {
        findings.add(syntax.codes.field_name_invalid,
                     "the " + rec + " record field name \"" + printable(name) +
                         "\" is not 1-32 letters, digits, \"_\", \"-\" or \".\" starting with a "
                         "letter or digit");
      } else {
        fields.push_back(TagField{name, field.substr(eq + 1)});
      }
    }
    if (last) {
      break;
    }
    rest.remove_prefix(semicolon + 1);
  }
  return fields;
}

std::string concatenate_strings(const TxtStrings& strings) {
  std::string text;
  for (const auto& s : strings) {
    text += s;
  }
  return text;
}

}  // namespace mtasts::core
