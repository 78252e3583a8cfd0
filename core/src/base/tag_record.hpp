#pragma once

// Private tokenizer for the "tag=value; tag=value" TXT records of RFC 8461 §3.1 (STS) and
// RFC 8460 §3 (TLSRPT). Both grammars are:
//   record = version 1*(field-delim field) [field-delim]
//   field-delim = *WSP ";" *WSP
// Values never contain ";" (it must be percent-encoded in URIs), so splitting on ";" is exact.

#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::core {

struct TagField {
  std::string_view name;
  std::string_view value;  // WSP around the field already removed
};

// The finding codes of the syntax both records share (sts-... or tlsrpt-...).
struct TagRecordCodes {
  LintCode non_ascii;
  LintCode version_missing;
  LintCode empty_field;
  LintCode trailing_whitespace;
  LintCode field_syntax;
  LintCode field_name_invalid;
};

struct TagRecordSyntax {
  std::string_view version_literal;  // "v=STSv1" or "v=TLSRPTv1"
  TagRecordCodes codes;
  std::string_view record_name;  // "_mta-sts" or "_smtp._tls", for messages
};

// Splits a record into its fields after the version. Reports, as errors in `findings`:
// non-ASCII or control bytes, a missing or misspelt version, no field after the version,
// empty fields (";;"), a field without "=", or a bad field name. Trailing whitespace without a
// final ";" is tolerated with a warning. Returns the fields that were well-formed.
std::vector<TagField> split_tag_record(std::string_view text, const TagRecordSyntax& syntax,
                                       Findings& findings);

// RFC 8461 / RFC 8460 ext-value: 1*(%x21-3A / %x3C / %x3E-7E).
bool is_tag_ext_value(std::string_view value);

// True when an RR (strings concatenated) is a candidate record of this kind: it begins with the
// version literal followed by optional WSP and ";" (RFC 8461 erratum 6285; docs/decisions.md).
bool is_candidate_record(std::string_view text, std::string_view version_literal);

// The strings of one TXT RR joined without separator (RFC 8461 §3.1, RFC 8460 §3).
std::string concatenate_strings(const TxtStrings& strings);

}  // namespace mtasts::core
