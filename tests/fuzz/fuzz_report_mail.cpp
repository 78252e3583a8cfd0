// Fuzz target: TLS-RPT report mail (RFC 8460 §5.3) read with GMime. Arbitrary bytes must give a
// mail with at least one non-empty report part or an error with a message, never a crash, and
// the DKIM key name scan and verification of the same bytes must stay well-formed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/hosting/report_dkim.hpp"
#include "mtasts/hosting/report_mail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mtasts::hosting::ReportMailLimits limits;
  limits.max_bytes = 1024 * 1024;  // the fuzzer's inputs are small; keep each run fast
  for (const auto& name : mtasts::hosting::dkim_key_names(text)) {
    if (name.find("._domainkey.") == std::string_view::npos) {
      std::abort();
    }
  }
  // No key is ever available here, so nothing passes; libopendkim still reads every signature.
  const auto verdict = mtasts::hosting::verify_report_dkim(
      text, "example.com", [](std::string_view) { return std::optional<std::string>(); });
  if (verdict.result == mtasts::hosting::DkimResult::pass || verdict.reason.empty()) {
    std::abort();
  }
  const auto mail = mtasts::hosting::parse_report_mail(text, limits);
  if (!mail) {
    if (mail.error().message.empty()) {
      std::abort();  // every error tells the admin something
    }
    return 0;
  }
  if (mail->attachments.empty() || (mail->report_domain && mail->report_domain->empty())) {
    std::abort();
  }
  for (const auto& attachment : mail->attachments) {
    if (attachment.data.empty() || attachment.data.size() > size ||
        attachment.content_type.find('/') == std::string_view::npos) {
      std::abort();  // decoding never grows the bytes: base64 and quoted-printable shrink
    }
  }
  for (const auto& finding : mail->findings) {
    if (finding.message.empty() || mtasts::hosting::report_mail_code_name(finding.code).empty()) {
      std::abort();
    }
  }
  return 0;
}
