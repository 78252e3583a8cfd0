#include "report_mail_parts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <utility>

namespace mtasts::hosting {

namespace {

// Multiparts nest this deep at most before the walk stops; GMime refuses deeper input first.
constexpr int kMaxDepth = 32;

enum class PartKind {
  not_report,  // the human-readable text, an image, anything else
  tlsrpt,      // application/tlsrpt+gzip or application/tlsrpt+json (RFC 8460 §5.3)
  generic,     // a generic type, or octet-stream with a report's filename
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with_any(std::string_view name, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(),
                     [name](std::string_view suffix) { return name.ends_with(suffix); });
}

PartKind classify(std::string_view media, std::string_view lower_filename) {
  if (media == "application/tlsrpt+gzip" || media == "application/tlsrpt+json") {
    return PartKind::tlsrpt;
  }
  constexpr std::array<std::string_view, 5> kGeneric = {"application/gzip", "application/x-gzip",
                                                        "application/json", "application/zip",
                                                        "application/x-zip-compressed"};
  if (std::find(kGeneric.begin(), kGeneric.end(), media) != kGeneric.end()) {
    return PartKind::generic;
  }
  if (media == "application/octet-stream" &&
      ends_with_any(lower_filename, {".json", ".gz", ".zip"})) {
    return PartKind::generic;
  }
  return PartKind::not_report;
}

// What the part says it is, by its type or else (octet-stream) its filename.
std::optional<ReportPacking> declared_packing(std::string_view media,
                                              std::string_view lower_filename) {
  if (media.ends_with("gzip")) {
    return ReportPacking::gzip;
  }
  if (media.ends_with("zip") || media.ends_with("zip-compressed")) {
    return ReportPacking::zip;
  }
  if (media.ends_with("json")) {
    return ReportPacking::json;
  }
  if (lower_filename.ends_with(".gz")) {
    return ReportPacking::gzip;
  }
  if (lower_filename.ends_with(".zip")) {
    return ReportPacking::zip;
  }
  if (lower_filename.ends_with(".json")) {
    return ReportPacking::json;
  }
  return std::nullopt;
}

// The part's content with its Content-Transfer-Encoding undone; nullopt when GMime cannot
// write it out.
std::optional<std::string> decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) {
    return std::string();
  }
  GObjectRef<GMimeStream> out(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, out.get()) < 0) {
    return std::nullopt;
  }
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  if (bytes == nullptr || bytes->data == nullptr) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string part_label(const ReportMailAttachment& attachment) {
  std::string label = attachment.content_type;
  if (!attachment.filename.empty()) {
    label += " \"" + attachment.filename + "\"";
  }
  return label;
}

void scan_part(GMimePart* part, ReportPartScan& scan) {
  ReportMailAttachment attachment;
  attachment.content_type = report_mail_media_type(GMIME_OBJECT(part));
  const char* filename = g_mime_part_get_filename(part);
  attachment.filename = filename != nullptr ? filename : "";
  const std::string lower_filename = lower(attachment.filename);
  const PartKind kind = classify(attachment.content_type, lower_filename);
  if (kind == PartKind::not_report) {
    return;
  }
  auto data = decoded_content(part);
  if (!data || data->empty()) {
    ++scan.empty_parts;
    return;
  }
  attachment.data = std::move(*data);
  attachment.packing = sniff_report_packing(attachment.data);
  if (kind == PartKind::generic) {
    scan.findings.push_back({ReportMailCode::generic_media_type,
                             "report part " + part_label(attachment) +
                                 " found by a generic type; RFC 8460 §5.3 names "
                                 "application/tlsrpt+gzip and application/tlsrpt+json"});
  }
  const auto declared = declared_packing(attachment.content_type, lower_filename);
  if (declared && *declared != attachment.packing) {
    scan.findings.push_back({ReportMailCode::packing_mismatch,
                             "report part " + part_label(attachment) + " is declared " +
                                 std::string(to_string(*declared)) + " but its bytes are " +
                                 std::string(to_string(attachment.packing))});
  }
  scan.attachments.push_back(std::move(attachment));
}

// Recursive, bounded by kMaxDepth.
void scan_object(GMimeObject* object, int depth, ReportPartScan& scan) {
  if (object == nullptr || depth > kMaxDepth) {
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) {
      scan_object(g_mime_multipart_get_part(multipart, i), depth + 1, scan);
    }
    return;
  }
  if (GMIME_IS_PART(object)) {
    scan_part(GMIME_PART(object), scan);
  }
  // message/rfc822 and other containers: a forwarded mail is not this sender's report.
}

}  // namespace

std::string report_mail_media_type(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) {
    return "text/plain";  // RFC 2045 §5.2 default
  }
  const char* media = g_mime_content_type_get_media_type(type);
  const char* subtype = g_mime_content_type_get_media_subtype(type);
  return lower(std::string(media != nullptr ? media : "") + "/" +
               (subtype != nullptr ? subtype : ""));
}

ReportPacking sniff_report_packing(std::string_view data) {
  if (data.starts_with("\x1f\x8b")) {
    return ReportPacking::gzip;
  }
  if (data.starts_with(std::string_view("PK\x03\x04", 4))) {
    return ReportPacking::zip;
  }
  if (data.starts_with("\xef\xbb\xbf")) {
    data.remove_prefix(3);  // a UTF-8 byte order mark some mailers put before the JSON
  }
  const auto first = data.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && data[first] == '{') {
    return ReportPacking::json;
  }
  return ReportPacking::unknown;
}

ReportPartScan scan_report_parts(GMimeObject* root) {
  ReportPartScan scan;
  scan_object(root, 0, scan);
  return scan;
}

}  // namespace mtasts::hosting
