#include "mtasts/hosting/report_payload.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace mtasts::hosting {
namespace {

using core::Errc;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

bool starts_with(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? std::string(text) : std::string("unknown error");
}

// Reads the current entry's data into `out`, at most `limit` bytes.
core::Result<std::string> read_entry(archive* a, std::string_view what, std::size_t limit) {
  std::string out;
  char buffer[16384];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n == 0) {
      return out;
    }
    if (n < 0) {
      return core::fail(Errc::invalid_syntax,
                        std::string(what) + " is truncated or corrupt: " + archive_message(a));
    }
    if (out.size() + static_cast<std::size_t>(n) > limit) {
      return core::fail(Errc::too_large, std::string(what) + " decompresses to more than " +
                                             std::to_string(limit) +
                                             " bytes (the report size limit)");
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

core::Result<std::string> decompress(std::string_view bytes, PayloadFormat format,
                                     std::size_t limit) {
  const ArchivePtr a(archive_read_new());
  if (!a) {
    return core::fail(Errc::too_large, "out of memory reading a compressed report");
  }
  const std::string what = format == PayloadFormat::gzip ? "the gzip data" : "the zip archive";
  if (format == PayloadFormat::gzip) {
    archive_read_support_filter_gzip(a.get());
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_filter_none(a.get());
    archive_read_support_format_zip(a.get());
  }
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return core::fail(Errc::invalid_syntax, what + " cannot be read: " + archive_message(a.get()));
  }
  archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(a.get(), &entry);
    if (status == ARCHIVE_EOF) {
      return core::fail(Errc::invalid_syntax, what + " holds no file");
    }
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      return core::fail(Errc::invalid_syntax,
                        what + " is truncated or corrupt: " + archive_message(a.get()));
    }
    if (archive_entry_filetype(entry) == AE_IFDIR) {
      continue;
    }
    if (archive_entry_is_encrypted(entry) != 0) {
      return core::fail(Errc::invalid_syntax, what + " holds an encrypted file");
    }
    return read_entry(a.get(), what, limit);
  }
}

}  // namespace

std::string_view to_string(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::json:
      return "json";
    case PayloadFormat::gzip:
      return "gzip";
    case PayloadFormat::zip:
      return "zip";
  }
  return "json";
}

core::Result<ReportPayload> decode_report_payload(std::string_view bytes,
                                                  const PayloadLimits& limits) {
  if (bytes.size() > limits.max_input) {
    return core::fail(Errc::too_large, "the report is " + std::to_string(bytes.size()) +
                                           " bytes, over the limit of " +
                                           std::to_string(limits.max_input));
  }
  ReportPayload payload;
  if (starts_with(bytes, "\x1f\x8b")) {
    payload.format = PayloadFormat::gzip;
  } else if (starts_with(bytes, std::string_view("PK\x03\x04", 4))) {
    payload.format = PayloadFormat::zip;
  } else {
    if (bytes.size() > limits.max_output) {
      return core::fail(Errc::too_large, "the report is over the limit of " +
                                             std::to_string(limits.max_output) + " bytes");
    }
    payload.json.assign(bytes);
    return payload;
  }
  auto text = decompress(bytes, payload.format, limits.max_output);
  if (!text) {
    return tl::unexpected(text.error());
  }
  payload.json = std::move(*text);
  return payload;
}

}  // namespace mtasts::hosting
