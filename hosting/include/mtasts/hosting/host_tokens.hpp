#pragma once

// The bearer tokens of the admin API: a file of lines "NAME TOKEN" (blank lines and lines
// starting with '#' skipped). The name is who the token belongs to; it goes into the audit log
// as the actor "api:NAME". Tokens are kept only as SHA-256 digests and a presented token is
// compared with every one of them in constant time, so neither the time of a refusal nor the
// order of the file tells anything about a token.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::hosting {

inline constexpr std::size_t kMinTokenLength = 16;

class AdminTokens {
 public:
  // Parses the file's text. Errors (Errc::invalid_value, "line N: ..."): a line without both
  // fields or with more, a name outside [A-Za-z0-9._@-] or over 64 characters, a token shorter
  // than kMinTokenLength or with control characters, a name given twice, no token at all.
  [[nodiscard]] static core::Result<AdminTokens> parse(std::string_view text);

  // The name of the token `presented` is, or nullopt.
  [[nodiscard]] std::optional<std::string> authenticate(std::string_view presented) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    std::array<std::uint8_t, 32> digest{};
  };
  std::vector<Entry> entries_;
};

struct AdminTokenFile {
  AdminTokens tokens;
  std::vector<std::string> warnings;  // a file others may read
};

// Reads and parses `path`. Errors (as AdminTokens::parse, or unreadable) name the file.
[[nodiscard]] core::Result<AdminTokenFile> read_admin_tokens(const std::string& path);

// The first token of a token file, for the CLI (`--token-file`), and its name.
struct ClientToken {
  std::string name;
  std::string token;
};

// Reads the token named `name` (the first one when empty) from `path`.
// Errors: Errc::invalid_value naming the file, or the name when it is not there.
[[nodiscard]] core::Result<ClientToken> read_client_token(const std::string& path,
                                                          std::string_view name);

}  // namespace mtasts::hosting
