#pragma once

// The "_smtp._tls" TLSRPT TXT record (RFC 8460 §3) and its rua list.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/base/result.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::core {

enum class RuaScheme { mailto, https };

// A reporting endpoint a reporter can use.
struct RuaEndpoint {
  RuaScheme scheme;
  std::string uri;     // as written in the record
  std::string target;  // mailto: the decoded addr-spec; https: the URI itself
};

struct TlsrptRecord {
  std::vector<std::string> rua;        // every URI, as written, all rua fields in order
  std::vector<RuaEndpoint> endpoints;  // the usable ones (mailto and https)
  std::vector<std::pair<std::string, std::string>> extensions;
};

struct TlsrptRecordReport {
  std::optional<TlsrptRecord> record;  // set exactly when findings.ok()
  Findings findings;
};

// Parses one record (strings already concatenated). Several rua fields are united (CONFORMANCE
// 079). A URI with an unencoded "!", or of a scheme other than mailto/https, is skipped with a
// warning; a record left with no usable endpoint is an error.
[[nodiscard]] TlsrptRecordReport lint_tlsrpt_record(std::string_view text);
[[nodiscard]] Result<TlsrptRecord> parse_tlsrpt_record(std::string_view text);

struct TlsrptRecordSelection {
  RecordChoice choice = RecordChoice::none;
  std::string text;
  TlsrptRecordReport report;
  std::size_t candidates = 0;
};

// RFC 8460 §3: RRs not beginning with "v=TLSRPTv1;" are discarded; not exactly one left means
// the domain does not implement TLSRPT.
[[nodiscard]] TlsrptRecordSelection select_tlsrpt_record(const std::vector<TxtStrings>& rrs);

}  // namespace mtasts::core
