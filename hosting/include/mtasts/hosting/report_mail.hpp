#pragma once

// TLS-RPT reports received by mail (RFC 8460 §5.3): the MIME side. A message is read with
// GMime 3 and gives its sender, its TLS-Report-* header fields and the report attachment(s),
// transfer encoding undone but still compressed. What reporters really send bends §5.3
// (multipart/mixed, no report-type, application/gzip or octet-stream attachments); such mail is
// read all the same and each deviation is a finding. Only mail that holds no report at all is
// an error. Decompressing and reading the JSON (core/tlsrpt/tlsrpt_report.hpp), checking DKIM
// (report_dkim.hpp), receiving and storing are the callers'.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::hosting {

// The largest message read by default: reports are small (a busy sender's daily gzip is some
// kilobytes); 20 MiB leaves room for base64 and a few mailers' habits.
inline constexpr std::size_t kReportMailMaxBytes = std::size_t{20} * 1024 * 1024;

struct ReportMailLimits {
  std::size_t max_bytes = kReportMailMaxBytes;
};

// Stable codes of mail findings. Never rename or reuse one; docs/tlsrpt-intake.md lists them.
enum class ReportMailCode {
  report_type_missing,       // top level is multipart/report without a report-type parameter
  report_type_other,         // top level is multipart/report with a report-type other than tlsrpt
  not_multipart_report,      // top level is another multipart (usually multipart/mixed)
  single_part,               // the message is one part, the report itself, not a multipart
  report_domain_missing,     // no TLS-Report-Domain header field (§5.3 says MUST)
  report_submitter_missing,  // no TLS-Report-Submitter header field (§5.3 says MUST)
  generic_media_type,        // a report part found by a generic type or its filename, not
                             // application/tlsrpt+gzip or application/tlsrpt+json
  packing_mismatch,          // the declared type or filename says gzip, zip or JSON and the
                             // bytes say otherwise; the bytes win (ReportMailAttachment::packing)
  several_reports,           // (info) more than one report part; all are returned
  subject_format,            // (info) the Subject is not "Report Domain: ... Submitter: ...
                             // Report-ID: <...>" (§5.3 says SHOULD)
  mime_irregular,            // GMime met a MIME irregularity (duplicate or conflicting header or
                             // parameter, bad header name, ...) and read past it
};

inline constexpr std::array kAllReportMailCodes = {
    ReportMailCode::report_type_missing,   ReportMailCode::report_type_other,
    ReportMailCode::not_multipart_report,  ReportMailCode::single_part,
    ReportMailCode::report_domain_missing, ReportMailCode::report_submitter_missing,
    ReportMailCode::generic_media_type,    ReportMailCode::packing_mismatch,
    ReportMailCode::several_reports,       ReportMailCode::subject_format,
    ReportMailCode::mime_irregular,
};

// The code's stable kebab-case name, e.g. "report-type-missing".
[[nodiscard]] std::string_view report_mail_code_name(ReportMailCode code);

struct ReportMailFinding {
  ReportMailCode code = ReportMailCode::report_type_missing;
  std::string message;  // what was found, naming the part or header field
};

// How the top level of the message is built.
enum class ReportMailShape {
  conforming,           // multipart/report; report-type=tlsrpt (RFC 8460 §5.3)
  report_type_missing,  // multipart/report, no report-type
  report_type_other,    // multipart/report, another report-type
  other_multipart,      // multipart/mixed or any other multipart
  single_part,          // not a multipart: the report is the whole body
};

// "conforming", "report-type-missing", "report-type-other", "other-multipart", "single-part".
[[nodiscard]] std::string_view to_string(ReportMailShape shape);

// What the attachment's bytes are, by their first bytes (not by what the part declares).
enum class ReportPacking {
  gzip,     // starts with the gzip magic 1f 8b
  zip,      // starts with the zip local-file magic "PK\3\4"
  json,     // starts, after white space, with '{'
  unknown,  // anything else; the caller may still try
};

// "gzip", "zip", "json", "unknown".
[[nodiscard]] std::string_view to_string(ReportPacking packing);

struct ReportMailAttachment {
  std::string content_type;  // media type and subtype in lower case, no parameters
  std::string filename;      // Content-Disposition filename or Content-Type name; may be empty
  ReportPacking packing = ReportPacking::unknown;
  std::string data;  // the part's bytes, base64 or quoted-printable undone, not decompressed
};

struct ReportMail {
  std::string from;        // addr-spec of the first From mailbox; empty when there is none
  std::string subject;     // RFC 2047 words decoded; empty when absent
  std::string message_id;  // without the angle brackets; empty when absent
  std::string date;        // the Date field as written, unfolded; empty when absent
  std::optional<std::int64_t> date_unix;     // the Date as seconds since the epoch, when readable
  std::optional<std::string> report_domain;  // TLS-Report-Domain, trimmed
  std::optional<std::string> report_submitter;  // TLS-Report-Submitter, trimmed
  ReportMailShape shape = ReportMailShape::conforming;
  std::vector<ReportMailAttachment> attachments;  // in message order; never empty
  std::vector<ReportMailFinding> findings;
};

// Reads one message (RFC 5322 with MIME; CRLF or LF line ends; a leading mbox "From " line is
// skipped) that should carry a TLS-RPT report. A report part is one of type application/tlsrpt+gzip
// or application/tlsrpt+json, or (finding generic_media_type) application/gzip, application/x-gzip,
// application/json, application/zip, application/x-zip-compressed, or application/octet-stream with
// a filename ending in .json, .gz or .zip, at any depth of nested multiparts (attached messages,
// message/rfc822, are not entered). The result borrows nothing from `message`.
// Errors: Errc::too_large when `message` exceeds limits.max_bytes (checked before parsing);
// Errc::invalid_syntax when it is empty, has no header fields, is truncated (a multipart that
// never ends) or nests beyond GMime's limit; Errc::invalid_value when it is a message but holds
// no report part. Thread-safe; initialises GMime once for the process.
[[nodiscard]] core::Result<ReportMail> parse_report_mail(std::string_view message,
                                                         const ReportMailLimits& limits = {});

}  // namespace mtasts::hosting
