#pragma once

// The bearer tokens of the admin API: a file of lines "NAME TOKEN [SCOPE]" (blank lines and
// lines starting with '#' skipped). The name is who the token belongs to; it goes into the audit
// log as the actor "api:NAME". Without SCOPE the token is an operator's: every domain and the
// service's own routes. With SCOPE "customer:DOMAIN[,DOMAIN...]" it is a customer's: only those
// domains, nothing of the service (docs/hosting.md "Roles"). Tokens are kept only as SHA-256
// digests and a presented token is compared with every one of them in constant time, so neither
// the time of a refusal nor the order of the file tells anything about a token.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::hosting {

inline constexpr std::size_t kMinTokenLength = 16;

enum class AdminRole {
  service_operator,  // every domain, the service routes (status, tokens, every report)
  customer,          // only the domains of its scope
};

// Who a request comes from: the token's name, its role and, for a customer, its domains.
struct AdminPrincipal {
  std::string name;
  AdminRole role = AdminRole::service_operator;
  std::vector<std::string> domains;  // customer: normalised, sorted, unique

  // Whether the principal may see and change `domain` (normalised): an operator every domain,
  // a customer those of its scope.
  [[nodiscard]] bool may_access(std::string_view domain) const;
  [[nodiscard]] bool is_operator() const { return role == AdminRole::service_operator; }

  friend bool operator==(const AdminPrincipal&, const AdminPrincipal&) = default;
};

// "operator" or "customer".
[[nodiscard]] std::string_view admin_role_name(AdminRole role);

class AdminTokens {
 public:
  // Parses the file's text. Errors (Errc::invalid_value, "line N: ..."): a line with fewer than
  // two fields or more than three, a name outside [A-Za-z0-9._@-] or over 64 characters, a token
  // shorter than kMinTokenLength or with control characters, a third field that is not
  // "customer:" and a comma-separated list of valid domain names, a name given twice, no token.
  [[nodiscard]] static core::Result<AdminTokens> parse(std::string_view text);

  // Who the token `presented` belongs to, or nullopt.
  [[nodiscard]] std::optional<AdminPrincipal> authenticate(std::string_view presented) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    AdminPrincipal principal;
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
