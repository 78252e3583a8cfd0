#include "mtasts/core/tlsrpt/mail_archive.hpp"

#include <vector>

namespace mtasts::core {
namespace {

constexpr std::string_view kFromLine = "From ";

// The line starting at `pos`, its end included ("" at the end of the text).
std::string_view line_at(std::string_view text, std::size_t pos) {
  const std::size_t end = text.find('\n', pos);
  return text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos + 1);
}

bool blank(std::string_view line) {
  return line == "\n" || line == "\r\n";
}

// ">From ", ">>From ", ...: a line the mboxrd writer escaped.
bool escaped_from(std::string_view line) {
  const std::size_t quotes = line.find_first_not_of('>');
  return quotes != 0 && quotes != std::string_view::npos &&
         line.substr(quotes).starts_with(kFromLine);
}

}  // namespace

MailFileKind mail_file_kind(std::string_view text) {
  if (text.starts_with(kFromLine)) {
    return MailFileKind::mbox;
  }
  const std::string_view first = line_at(text, 0);
  const std::size_t colon = first.find(':');
  if (colon == 0 || colon == std::string_view::npos) {
    return MailFileKind::other;
  }
  for (const char c : first.substr(0, colon)) {
    // RFC 5322 §2.2 allows any printable character but the colon in a field name; the names
    // mail really carries are letters, digits and hyphens, and a JSON report ({"...": ...})
    // must not pass for a message.
    const bool name_char =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!name_char) {
      return MailFileKind::other;
    }
  }
  return MailFileKind::message;
}

std::vector<std::string> split_mbox(std::string_view text) {
  std::vector<std::string> messages;
  if (!text.starts_with(kFromLine)) {
    return messages;
  }
  std::string current;
  bool previous_blank = true;
  bool open = false;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::string_view line = line_at(text, pos);
    pos += line.size();
    if (previous_blank && line.starts_with(kFromLine)) {
      if (open && !current.empty()) {
        messages.push_back(std::move(current));
      }
      current.clear();
      open = true;
      previous_blank = false;
      continue;
    }
    previous_blank = blank(line);
    current += escaped_from(line) ? line.substr(1) : line;
  }
  if (open && !current.empty()) {
    messages.push_back(std::move(current));
  }
  // The empty line before each "From " belongs to the mbox, not to the message before it.
  for (std::string& message : messages) {
    if (message.ends_with("\r\n\r\n")) {
      message.resize(message.size() - 2);
    } else if (message.ends_with("\n\n")) {
      message.pop_back();
    }
  }
  std::erase_if(messages, [](const std::string& message) {
    return message.find_first_not_of("\r\n") == std::string::npos;
  });
  return messages;
}

}  // namespace mtasts::core
