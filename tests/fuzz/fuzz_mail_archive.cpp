// Fuzz target: telling report mail files apart and splitting an mbox into its messages.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mtasts/core/tlsrpt/mail_archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const mtasts::core::MailFileKind kind = mtasts::core::mail_file_kind(text);
  const auto messages = mtasts::core::split_mbox(text);
  if (kind != mtasts::core::MailFileKind::mbox && !messages.empty()) {
    std::abort();  // only an mbox has messages to split
  }
  std::size_t total = 0;
  for (const std::string& message : messages) {
    if (message.empty()) {
      std::abort();
    }
    total += message.size();
  }
  if (total > text.size()) {
    std::abort();  // splitting only removes lines and escapes
  }
  return 0;
}
