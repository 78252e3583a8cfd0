#pragma once

// The part walk of parse_report_mail (report_mail.cpp): which MIME parts of a TLS-RPT mail are
// reports, and their decoded bytes. Private to hosting; the only file besides report_mail.cpp
// that sees GMime.

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/hosting/report_mail.hpp"

namespace mtasts::hosting {

struct GObjectUnref {
  void operator()(void* object) const { g_object_unref(object); }
};

// Owns one GObject reference (GMime's messages, parsers and streams are GObjects).
template <class T>
using GObjectRef = std::unique_ptr<T, GObjectUnref>;

// The "type/subtype" of `object` in lower case, without parameters.
[[nodiscard]] std::string report_mail_media_type(GMimeObject* object);

struct ReportPartScan {
  std::vector<ReportMailAttachment> attachments;  // in message order
  std::vector<ReportMailFinding> findings;        // generic_media_type, packing_mismatch
  std::size_t empty_parts = 0;                    // report parts left out: no bytes in them
};

// Walks `root` and the multiparts under it (not attached messages) and returns every report
// part, as the contract of parse_report_mail describes. `root` is borrowed.
[[nodiscard]] ReportPartScan scan_report_parts(GMimeObject* root);

// What `data` starts with: gzip or zip magic, a JSON object, or unknown.
[[nodiscard]] ReportPacking sniff_report_packing(std::string_view data);

}  // namespace mtasts::hosting
