#pragma once

// The body of a TLS-RPT report as senders deliver it (RFC 8460 §5.3, §5.4): gzip
// (application/tlsrpt+gzip, the usual), plain JSON (application/tlsrpt+json), and in practice a
// zip archive holding one JSON file. The format is told by the bytes, not by a declared type,
// which senders get wrong. Decompression stops at the output limit, so a small bomb costs
// what the limit allows and no more.

#include <cstddef>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::hosting {

enum class PayloadFormat {
  json,  // the bytes are the report
  gzip,  // RFC 1952, one or more members
  zip,   // a zip archive; its first file that is not a directory is the report
};

// "json", "gzip", "zip".
[[nodiscard]] std::string_view to_string(PayloadFormat format);

struct PayloadLimits {
  std::size_t max_input = std::size_t{2} * 1024 * 1024;    // compressed bytes
  std::size_t max_output = std::size_t{10} * 1024 * 1024;  // decompressed bytes
};

struct ReportPayload {
  PayloadFormat format = PayloadFormat::json;
  std::string json;  // the decompressed report text
};

// Decodes `bytes`: gzip by its magic (1f 8b), zip by its (PK\3\4), otherwise taken as JSON.
// Errors (core::Errc), each with a message naming the problem:
//   too_large       the input is over limits.max_input, or decompresses past limits.max_output
//                   (a decompression bomb);
//   invalid_syntax  truncated or corrupt compressed data, a zip without a file, an encrypted
//                   zip entry.
[[nodiscard]] core::Result<ReportPayload> decode_report_payload(std::string_view bytes,
                                                                const PayloadLimits& limits = {});

}  // namespace mtasts::hosting
