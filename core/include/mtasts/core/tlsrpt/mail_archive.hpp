#pragma once

// Report mail kept in files, as `mtasts host report import` reads it: a single message (an .eml
// file, or one file of a Maildir), or an mbox holding many. An mbox is told by its first line
// ("From " then the envelope sender and a date); its messages start at each "From " line at the
// start of the file or after an empty line. Lines escaped by the writer (">From ", ">>From "...:
// mboxrd) lose one '>' so the message is as it was received and its DKIM signature still holds.
// CRLF and LF line ends are both read; they are kept as they are.

#include <string>
#include <string_view>
#include <vector>

namespace mtasts::core {

enum class MailFileKind {
  mbox,     // starts with a "From " line
  message,  // starts with a header field ("Name:", the name of letters, digits and hyphens)
  other,    // neither: a report file (JSON, gzip, zip) or junk
};

[[nodiscard]] MailFileKind mail_file_kind(std::string_view text);

// The messages of an mbox, each without its "From " line, the escaping undone, in file order.
// Empty messages (two "From " lines in a row) are skipped; text that is not an mbox gives none.
[[nodiscard]] std::vector<std::string> split_mbox(std::string_view text);

}  // namespace mtasts::core
