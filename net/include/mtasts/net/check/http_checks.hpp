#pragma once

// The checks RFC 8461 makes on a policy response, as pure functions.

#include <string_view>

#include "mtasts/net/fetch/fetch_outcome.hpp"

namespace mtasts::net {

// RFC 8461 §3.2 (CONFORMANCE 015, C13): true when the Content-Type field value names the
// media type text/plain, compared case-insensitively, with any parameters (charset, format)
// ignored. An empty or missing value is false.
[[nodiscard]] bool is_text_plain(std::string_view content_type);

// RFC 8461 §3.3 (CONFORMANCE 030, 031): 200 -> ok, 3xx -> redirect (never followed), any
// other status -> http_status.
[[nodiscard]] FetchDetail classify_status(unsigned status);

}  // namespace mtasts::net
