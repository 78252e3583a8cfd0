#include "mtasts/core/sts/sts_record.hpp"

#include <algorithm>

#include "base/tag_record.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

constexpr TagRecordSyntax kStsSyntax{"v=STSv1",
                                     {LintCode::sts_non_ascii, LintCode::sts_version_missing,
                                      LintCode::sts_empty_field, LintCode::sts_trailing_whitespace,
                                      LintCode::sts_field_syntax, LintCode::sts_field_name_invalid},
                                     "_mta-sts"};

bool is_sts_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxStsIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c); });
}

// The id of a record that is not a candidate, read leniently ("ID = 123" too); empty if none.
// `lower` is the record's text in lowercase (the id keeps its case: ids compare exactly).
std::string lenient_id(std::string_view text, std::string_view lower) {
  const auto skip_wsp = [&text](std::size_t pos) {
    while (pos < text.size() && is_wsp(text[pos])) {
      ++pos;
    }
    return pos;
  };
  for (std::size_t at = lower.find("id"); at != std::string::npos; at = lower.find("id", at + 2)) {
    if (at > 0 && is_alnum(lower[at - 1])) {
      continue;
    }
    std::size_t pos = skip_wsp(at + 2);
    if (pos >= text.size() || text[pos] != '=') {
      continue;
    }
    pos = skip_wsp(pos + 1);
    std::size_t end = pos;
    while (end < text.size() && is_alnum(text[end])) {
      ++end;
    }
    const std::string_view id = text.substr(pos, end - pos);
    const bool whole =
        end == text.size() || text[end] == ';' || is_wsp(text[end]) || text[end] == '"';
    if (whole && is_sts_id(id)) {
      return std::string(id);
    }
  }
  return {};
}

}  // namespace

std::string explain_ignored_sts_record(std::string_view text) {
  if (is_candidate_record(text, kStsSyntax.version_literal)) {
    return {};
  }
  const std::string lower = ascii_lower(text);
  const std::size_t version = lower.find("stsv1");
  if (version == std::string::npos) {
    return {};
  }
  std::string why;
  const std::size_t first = text.find_first_not_of(" \t");  // not npos: "stsv1" is there
  const bool versioned = lower.starts_with("v=stsv1");
  if (text[first] == '"' || text[first] == '\'') {
    why =
        "it begins with a quote character (quotes belong to the zone file syntax, not to the "
        "record's text)";
  } else if (first != 0) {
    why = "it begins with white space; the record must begin with \"v=STSv1\"";
  } else if (!versioned && lower.front() == 'v' && version < lower.find(';')) {
    why = "the version field is written \"" + printable(text.substr(0, version + 5)) +
          "\"; it must be \"v=STSv1\" exactly, without spaces";
  } else if (!versioned) {
    why = "it does not begin with the version field; \"v=STSv1\" must come first";
  } else if (text.substr(0, 7) != "v=STSv1") {
    why = "the version is written \"" + printable(text.substr(0, 7)) +
          "\"; field names and values are case-sensitive: \"v=STSv1\"";
  } else {
    why = "\"v=STSv1\" must be followed by \";\" (a missing semicolon?)";
  }
  const std::string id = lenient_id(text, lower);
  return "this record is ignored by senders because " + why +
         "; write \"v=STSv1; id=" + (id.empty() ? std::string("<1-32 letters or digits>") : id) +
         ";\" instead";
}

StsRecordReport lint_sts_record(std::string_view text) {
  StsRecordReport report;
  Findings& findings = report.findings;
  const std::vector<TagField> fields = split_tag_record(text, kStsSyntax, findings);
  if (!findings.ok()) {
    return report;
  }
  StsRecord record;
  bool have_id = false;
  for (const TagField& field : fields) {
    if (field.name == "id") {
      if (have_id) {
        // Whether or not it is a valid id (by the ABNF an invalid one is an extension named
        // "id"), a later id changes nothing: the first is used.
        findings.add(LintCode::sts_id_duplicate, "the record has more than one id; the first, \"" +
                                                     record.id + "\", is used: remove the others");
      } else if (!is_sts_id(field.value)) {
        findings.add(LintCode::sts_id_invalid,
                     "the id \"" + printable(field.value) +
                         "\" must be 1 to 32 letters and digits only (no \"-\", \"_\", \"+\", "
                         "\"/\" or \".\")");
      } else {
        record.id = std::string(field.value);
        have_id = true;
      }
      continue;
    }
    if (!is_tag_ext_value(field.value)) {
      findings.add(LintCode::sts_extension_invalid,
                   "the value of field \"" + std::string(field.name) + "\" (\"" +
                       printable(field.value) +
                       "\") must be non-empty and contain no spaces, \"=\" or \";\"");
      continue;
    }
    if (iequals(field.name, "id") || iequals(field.name, "v")) {
      findings.add(LintCode::sts_field_case,
                   "field \"" + std::string(field.name) +
                       "\" is not \"id\": field names are case-sensitive, so it is ignored");
    }
    record.extensions.emplace_back(std::string(field.name), std::string(field.value));
  }
  if (findings.ok() && !have_id) {
    findings.add(LintCode::sts_id_missing,
                 "the record has no id field: add \"id=\" and 1-32 letters and digits, e.g. "
                 "\"v=STSv1; id=20240101000000\"");
  }
  if (findings.ok()) {
    report.record = std::move(record);
  }
  return report;
}

Result<StsRecord> parse_sts_record(std::string_view text) {
  StsRecordReport report = lint_sts_record(text);
  if (report.record) {
    return std::move(*report.record);
  }
  return fail(Errc::invalid_syntax, report.findings.first_error());
}

StsRecordSelection select_sts_record(const std::vector<TxtStrings>& rrs) {
  StsRecordSelection selection;
  for (const TxtStrings& rr : rrs) {
    std::string text = concatenate_strings(rr);
    if (!is_candidate_record(text, kStsSyntax.version_literal)) {
      continue;  // RFC 8461 §3.1: records that do not begin with the version are discarded
    }
    if (++selection.candidates == 1) {
      selection.text = std::move(text);
    }
  }
  if (selection.candidates == 0) {
    // Only now, so that the usual lookup (one candidate) explains nothing.
    for (const TxtStrings& rr : rrs) {
      if (std::string why = explain_ignored_sts_record(concatenate_strings(rr)); !why.empty()) {
        selection.ignored.push_back(std::move(why));
      }
    }
    selection.choice = RecordChoice::none;
    return selection;
  }
  if (selection.candidates > 1) {
    // RFC 8461 §3.1: not exactly one record means no available policy. Never pick one.
    selection.choice = RecordChoice::multiple;
    selection.text.clear();
    return selection;
  }
  selection.report = lint_sts_record(selection.text);
  selection.choice = selection.report.record ? RecordChoice::ok : RecordChoice::invalid;
  return selection;
}

}  // namespace mtasts::core
