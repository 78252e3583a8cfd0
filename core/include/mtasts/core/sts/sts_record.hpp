#pragma once

// The "_mta-sts" TXT record (RFC 8461 §3.1): grammar, and the choice among several TXT RRs.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

inline constexpr std::string_view kStsRecordPrefix = "_mta-sts.";
inline constexpr std::size_t kMaxStsIdLength = 32;

struct StsRecord {
  std::string id;  // 1-32 ALPHA/DIGIT; compared for equality only (RFC 8461 §3.1)
  // Unknown fields in the order they appear; ignored by senders, shown by the linter.
  std::vector<std::pair<std::string, std::string>> extensions;
};

struct StsRecordReport {
  std::optional<StsRecord> record;  // set exactly when findings.ok()
  Findings findings;
};

// Parses one record (the strings of one TXT RR already concatenated). Never throws.
[[nodiscard]] StsRecordReport lint_sts_record(std::string_view text);

// The same, for callers that only want the record or the first error.
[[nodiscard]] Result<StsRecord> parse_sts_record(std::string_view text);

// One TXT resource record as DNS returns it: one or more character-strings.
using TxtStrings = std::vector<std::string>;

enum class RecordChoice {
  none,      // no RR is an STS record: the domain has no policy
  multiple,  // more than one RR is an STS record: RFC 8461 §3.1 says no policy
  invalid,   // exactly one candidate, and it does not parse
  ok,        // exactly one candidate, parsed
};

struct StsRecordSelection {
  RecordChoice choice = RecordChoice::none;
  std::string text;        // the chosen candidate, concatenated (empty for none/multiple)
  StsRecordReport report;  // meaningful for invalid and ok
  std::size_t candidates = 0;
  // With no candidate: why each discarded record that looks like an attempt at one is ignored,
  // and what to write instead (see explain_ignored_sts_record).
  std::vector<std::string> ignored;
};

// For a TXT record that senders discard although it looks meant as the MTA-STS record (it
// mentions "STSv1" in any case): why it is discarded ("the version must be written ...") and
// the record to write instead. Empty for a candidate or an unrelated record.
[[nodiscard]] std::string explain_ignored_sts_record(std::string_view text);

// Chooses among all TXT RRs at _mta-sts.<domain> (RFC 8461 §3.1): each RR's strings are
// concatenated without separator, RRs that do not begin with the version field are discarded,
// and anything but exactly one remaining RR means no policy. A candidate is an RR beginning
// with "v=STSv1" followed by optional whitespace and ";" (erratum 6285, see docs/decisions.md).
[[nodiscard]] StsRecordSelection select_sts_record(const std::vector<TxtStrings>& rrs);

}  // namespace mtasts::core
