#include "mtasts/net/check/http_checks.hpp"

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::net {
namespace {}  // namespace

bool is_text_plain(std::string_view content_type) {
  // RFC 9110 §8.3.1: media-type = type "/" subtype parameters; parameters start at ';'.
  const std::string_view media_type =
      core::trim_wsp(content_type.substr(0, content_type.find(';')));
  return core::ascii_lower(media_type) == "text/plain";
}

FetchDetail classify_status(unsigned status) {
  if (status == 200) {
    return FetchDetail::ok;
  }
  if (status >= 300 && status < 400) {
    return FetchDetail::redirect;
  }
  return FetchDetail::http_status;
}

}  // namespace mtasts::net
