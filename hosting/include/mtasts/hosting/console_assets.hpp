#pragma once

// The files of the web console (hosting/console/: HTML, CSS, JavaScript), built into the binary
// by cmake/embed_files.cmake: each with its content type and a strong ETag (the SHA-256 of its
// bytes), so a browser revalidates with If-None-Match and gets 304 when nothing changed.

#include <span>
#include <string_view>

namespace mtasts::hosting {

struct ConsoleAsset {
  std::string_view path;          // below /console/, e.g. "index.html", "js/domains.js"
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view etag;          // "\"<hex sha-256>\"", quotes included
  std::string_view body;
};

// Every asset, sorted by path (defined in the generated console_assets.cpp).
[[nodiscard]] std::span<const ConsoleAsset> console_assets();

// The asset at `path` (below /console/; "" is index.html), or nullptr.
[[nodiscard]] const ConsoleAsset* find_console_asset(std::string_view path);

}  // namespace mtasts::hosting
