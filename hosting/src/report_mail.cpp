#include "mtasts/hosting/report_mail.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "report_dkim_message.hpp"
#include "report_mail_parts.hpp"

namespace mtasts::hosting {

namespace {

// Findings of kind mime_irregular kept at most: junk can make GMime warn on every line.
constexpr std::size_t kMaxIrregularFindings = 8;

void init_gmime_once() {
  // GMime's global tables are set up once; after that, separate parser objects may run in
  // separate threads.
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// What GMime's parser reported while reading one message (its warning callback).
struct ParseWarnings {
  bool truncated = false;
  bool nesting_overflow = false;
  std::vector<GMimeParserWarning> seen;  // each irregularity once
  std::vector<std::string> irregular;
};

std::string_view warning_text(GMimeParserWarning code) {
  switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      return "header field repeated";
    case GMIME_WARN_DUPLICATED_PARAMETER:
      return "header parameter repeated";
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      return "unencoded 8-bit header field";
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return "invalid Content-Type, read as application/octet-stream";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      return "invalid RFC 2047 encoded word";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "multipart without parts";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "message truncated";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "malformed message";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "invalid header field name";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "conflicting header fields";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return "conflicting header parameters";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "multipart without a boundary parameter";
    case GMIME_WARN_INVALID_PARAMETER:
      return "invalid header parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME parts nested too deep";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "part without content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "part without header fields or content";
  }
  return "unknown parser warning";
}

void on_parser_warning(gint64 /*offset*/, GMimeParserWarning code, const gchar* item,
                       gpointer user_data) {
  auto& warnings = *static_cast<ParseWarnings*>(user_data);
  if (code == GMIME_WARN_TRUNCATED_MESSAGE) {
    warnings.truncated = true;
    return;
  }
  if (code == GMIME_CRIT_NESTING_OVERFLOW) {
    warnings.nesting_overflow = true;
    return;
  }
  if (std::find(warnings.seen.begin(), warnings.seen.end(), code) != warnings.seen.end() ||
      warnings.irregular.size() >= kMaxIrregularFindings) {
    return;
  }
  warnings.seen.push_back(code);
  std::string text(warning_text(code));
  if (item != nullptr && *item != '\0') {
    constexpr std::size_t kMaxItem = 80;
    text += ": " + std::string(item).substr(0, kMaxItem);
  }
  warnings.irregular.push_back(std::move(text));
}

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};

std::optional<std::string> trimmed_header(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_header(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::string_view text(value);
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  return std::string(text);
}

std::string first_from_address(GMimeMessage* message) {
  InternetAddressList* list = g_mime_message_get_from(message);
  if (list == nullptr || internet_address_list_length(list) < 1) {
    return {};
  }
  InternetAddress* address = internet_address_list_get_address(list, 0);
  if (address == nullptr || !INTERNET_ADDRESS_IS_MAILBOX(address)) {
    return {};
  }
  const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
  return addr != nullptr ? addr : "";
}

// RFC 8460 §5.3: "Report Domain: D Submitter: S Report-ID: <id-left@id-right>".
bool subject_follows_8460(std::string_view subject) {
  std::vector<std::string_view> words;
  while (!subject.empty()) {
    const auto start = subject.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
      break;
    }
    subject.remove_prefix(start);
    const auto end = std::min(subject.find_first_of(" \t\r\n"), subject.size());
    words.push_back(subject.substr(0, end));
    subject.remove_prefix(end);
  }
  return words.size() == 7 && words[0] == "Report" && words[1] == "Domain:" &&
         words[3] == "Submitter:" && words[5] == "Report-ID:" && words[6].starts_with('<') &&
         words[6].ends_with('>') && words[6].find('@') != std::string_view::npos;
}

struct ShapeReading {
  ReportMailShape shape = ReportMailShape::conforming;
  std::string top_type;  // "multipart/mixed", ...; for the finding's message
};

ShapeReading read_shape(GMimeObject* top) {
  ShapeReading reading{ReportMailShape::single_part, report_mail_media_type(top)};
  if (!GMIME_IS_MULTIPART(top)) {
    return reading;
  }
  if (reading.top_type != "multipart/report") {
    reading.shape = ReportMailShape::other_multipart;
    return reading;
  }
  const char* report_type =
      g_mime_content_type_get_parameter(g_mime_object_get_content_type(top), "report-type");
  if (report_type == nullptr) {
    reading.shape = ReportMailShape::report_type_missing;
  } else if (g_ascii_strcasecmp(report_type, "tlsrpt") == 0) {
    reading.shape = ReportMailShape::conforming;
  } else {
    reading.shape = ReportMailShape::report_type_other;
    reading.top_type += "; report-type=" + std::string(report_type);
  }
  return reading;
}

std::optional<ReportMailFinding> shape_finding(const ShapeReading& reading) {
  switch (reading.shape) {
    case ReportMailShape::conforming:
      return std::nullopt;
    case ReportMailShape::report_type_missing:
      return ReportMailFinding{ReportMailCode::report_type_missing,
                               "multipart/report without report-type; RFC 8460 §5.3 asks for "
                               "report-type=tlsrpt"};
    case ReportMailShape::report_type_other:
      return ReportMailFinding{ReportMailCode::report_type_other,
                               reading.top_type + "; RFC 8460 §5.3 asks for report-type=tlsrpt"};
    case ReportMailShape::other_multipart:
      return ReportMailFinding{ReportMailCode::not_multipart_report,
                               "top level is " + reading.top_type +
                                   ", not multipart/report; report-type=tlsrpt (RFC 8460 §5.3)"};
    case ReportMailShape::single_part:
      return ReportMailFinding{ReportMailCode::single_part,
                               "the message is a single " + reading.top_type +
                                   " part, not multipart/report (RFC 8460 §5.3)"};
  }
  return std::nullopt;
}

void read_header_fields(GMimeMessage* message, ReportMail& mail) {
  auto* object = GMIME_OBJECT(message);
  mail.from = first_from_address(message);
  const char* subject = g_mime_message_get_subject(message);
  mail.subject = subject != nullptr ? subject : "";
  const char* message_id = g_mime_message_get_message_id(message);
  mail.message_id = message_id != nullptr ? message_id : "";
  mail.date = trimmed_header(object, "Date").value_or("");
  if (GDateTime* date = g_mime_message_get_date(message); date != nullptr) {
    mail.date_unix = g_date_time_to_unix(date);
  }
  mail.report_domain = trimmed_header(object, "TLS-Report-Domain");
  mail.report_submitter = trimmed_header(object, "TLS-Report-Submitter");
  if (!mail.report_domain) {
    mail.findings.push_back({ReportMailCode::report_domain_missing,
                             "no TLS-Report-Domain header field (RFC 8460 §5.3: MUST)"});
  }
  if (!mail.report_submitter) {
    mail.findings.push_back({ReportMailCode::report_submitter_missing,
                             "no TLS-Report-Submitter header field (RFC 8460 §5.3: MUST)"});
  }
  if (!subject_follows_8460(mail.subject)) {
    mail.findings.push_back(
        {ReportMailCode::subject_format,
         "Subject is not \"Report Domain: ... Submitter: ... Report-ID: <...>\" (RFC 8460 §5.3)"});
  }
}

// Everything after GMime's parse: header fields, shape, report parts and findings. GMime may
// still report into `warnings` while header fields are decoded, so they are read last.
core::Result<ReportMail> read_report(GMimeMessage* parsed, const ParseWarnings& warnings) {
  ReportMail mail;
  read_header_fields(parsed, mail);
  GMimeObject* top = g_mime_message_get_mime_part(parsed);
  if (top == nullptr) {
    return core::fail(core::Errc::invalid_value, "report mail has no body");
  }
  const ShapeReading shape = read_shape(top);
  mail.shape = shape.shape;
  if (auto finding = shape_finding(shape)) {
    mail.findings.insert(mail.findings.begin(), std::move(*finding));
  }
  ReportPartScan scan = scan_report_parts(top);
  if (scan.attachments.empty()) {
    return core::fail(core::Errc::invalid_value,
                      scan.empty_parts > 0
                          ? "report mail's report part is empty"
                          : "report mail has no report part (application/tlsrpt+gzip, "
                            "application/tlsrpt+json or a gzip, zip or JSON attachment); top "
                            "level is " +
                                shape.top_type);
  }
  mail.attachments = std::move(scan.attachments);
  mail.findings.insert(mail.findings.end(), scan.findings.begin(), scan.findings.end());
  if (mail.attachments.size() > 1) {
    mail.findings.push_back({ReportMailCode::several_reports,
                             std::to_string(mail.attachments.size()) + " report parts"});
  }
  for (const auto& text : warnings.irregular) {
    mail.findings.push_back({ReportMailCode::mime_irregular, text});
  }
  return mail;
}

}  // namespace

std::string_view report_mail_code_name(ReportMailCode code) {
  switch (code) {
    case ReportMailCode::report_type_missing:
      return "report-type-missing";
    case ReportMailCode::report_type_other:
      return "report-type-other";
    case ReportMailCode::not_multipart_report:
      return "not-multipart-report";
    case ReportMailCode::single_part:
      return "single-part";
    case ReportMailCode::report_domain_missing:
      return "report-domain-missing";
    case ReportMailCode::report_submitter_missing:
      return "report-submitter-missing";
    case ReportMailCode::generic_media_type:
      return "generic-media-type";
    case ReportMailCode::packing_mismatch:
      return "packing-mismatch";
    case ReportMailCode::several_reports:
      return "several-reports";
    case ReportMailCode::subject_format:
      return "subject-format";
    case ReportMailCode::mime_irregular:
      return "mime-irregular";
  }
  return "unknown";
}

std::string_view to_string(ReportMailShape shape) {
  switch (shape) {
    case ReportMailShape::conforming:
      return "conforming";
    case ReportMailShape::report_type_missing:
      return "report-type-missing";
    case ReportMailShape::report_type_other:
      return "report-type-other";
    case ReportMailShape::other_multipart:
      return "other-multipart";
    case ReportMailShape::single_part:
      return "single-part";
  }
  return "unknown";
}

std::string_view to_string(ReportPacking packing) {
  switch (packing) {
    case ReportPacking::gzip:
      return "gzip";
    case ReportPacking::zip:
      return "zip";
    case ReportPacking::json:
      return "json";
    case ReportPacking::unknown:
      return "unknown";
  }
  return "unknown";
}

core::Result<ReportMail> parse_report_mail(std::string_view message,
                                           const ReportMailLimits& limits) {
  if (message.size() > limits.max_bytes) {
    return core::fail(core::Errc::too_large, "report mail of " + std::to_string(message.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(limits.max_bytes));
  }
  message = mail_without_envelope_line(message);
  if (message.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return core::fail(core::Errc::invalid_syntax, "report mail is empty");
  }
  init_gmime_once();
  ParseWarnings warnings;  // outlives the options and the message that report into it
  std::unique_ptr<GMimeParserOptions, ParserOptionsFree> options(g_mime_parser_options_new());
  g_mime_parser_options_set_warning_callback(options.get(), &on_parser_warning, &warnings);
  GObjectRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GObjectRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GObjectRef<GMimeMessage> parsed(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!parsed ||
      g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(parsed.get()))) < 1) {
    return core::fail(core::Errc::invalid_syntax, "report mail is not a MIME message");
  }
  if (warnings.nesting_overflow) {
    return core::fail(core::Errc::invalid_syntax, "report mail nests MIME parts too deep");
  }
  if (warnings.truncated) {
    return core::fail(core::Errc::invalid_syntax,
                      "report mail is truncated: a multipart has no closing boundary");
  }
  return read_report(parsed.get(), warnings);
}

}  // namespace mtasts::hosting
