#include "mtasts/core/sts/sts_record.hpp"

#include <algorithm>

#include "base/tag_record.hpp"
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

}  // namespace

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
      if (!is_sts_id(field.value)) {
        findings.add(LintCode::sts_id_invalid,
                     "the id \"" + printable(field.value) +
                         "\" must be 1 to 32 letters and digits only (no \"-\", \"_\", \"+\", "
                         "\"/\" or \".\")");
      } else if (have_id) {
        findings.add(LintCode::sts_id_duplicate, "the record has more than one id; the first, \"" +
                                                     record.id + "\", is used: remove the others");
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
