#include "mtasts/hosting/host_tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "mtasts/core/base/domain_name.hpp"

namespace mtasts::hosting {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxTokenLength = 512;
constexpr std::size_t kMaxFileSize = 1024 * 1024;
constexpr std::string_view kCustomerPrefix = "customer:";

std::array<std::uint8_t, 32> digest_of(std::string_view text) {
  std::array<std::uint8_t, 32> out{};
  ::SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '@';
}

bool token_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte > 0x20 && byte < 0x7f;
}

struct Line {
  std::size_t number = 0;
  std::string name;
  std::string token;
  std::string scope;
};

// The domains of a "customer:a.example,b.example" scope, normalised, sorted and unique, or the
// message of what is wrong.
tl::expected<std::vector<std::string>, std::string> scope_domains(std::string_view scope) {
  if (!scope.starts_with(kCustomerPrefix)) {
    return tl::unexpected(std::string("the third field must be customer:DOMAIN[,DOMAIN...]"));
  }
  scope.remove_prefix(kCustomerPrefix.size());
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = scope.find(',');
    const std::string_view item = scope.substr(0, comma);
    auto name = core::normalize_domain(item);
    if (item.empty() || !name) {
      return tl::unexpected("not a domain name in the customer scope: \"" + std::string(item) +
                            "\"");
    }
    out.push_back(std::move(*name));
    if (comma == std::string_view::npos) {
      break;
    }
    scope.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The "NAME TOKEN [SCOPE]" lines of a file, checked (the scope's syntax apart).
core::Result<std::vector<Line>> token_lines(std::string_view text) {
  std::vector<Line> out;
  std::set<std::string, std::less<>> names;
  std::istringstream in{std::string(text)};
  std::string raw;
  std::size_t number = 0;
  while (std::getline(in, raw)) {
    ++number;
    if (!raw.empty() && raw.back() == '\r') {
      raw.pop_back();
    }
    std::istringstream fields(raw);
    Line line{number, {}, {}, {}};
    std::string extra;
    fields >> line.name >> line.token >> line.scope >> extra;
    const auto where = [number](const std::string& what) {
      return core::fail(core::Errc::invalid_value, "line " + std::to_string(number) + ": " + what);
    };
    if (line.name.empty() || line.name.front() == '#') {
      continue;
    }
    if (line.token.empty() || !extra.empty()) {
      return where("expected NAME TOKEN [customer:DOMAIN,...]");
    }
    if (line.name.size() > kMaxNameLength ||
        !std::all_of(line.name.begin(), line.name.end(), name_char)) {
      return where("the name may hold letters, digits and . _ - @ (at most 64)");
    }
    if (line.token.size() < kMinTokenLength || line.token.size() > kMaxTokenLength ||
        !std::all_of(line.token.begin(), line.token.end(), token_char)) {
      return where("the token of " + line.name + " must be " + std::to_string(kMinTokenLength) +
                   " to 512 printable characters (make one with: openssl rand -hex 32)");
    }
    if (!names.insert(line.name).second) {
      return where("the name " + line.name + " is given twice");
    }
    out.push_back(std::move(line));
  }
  if (out.empty()) {
    return core::fail(core::Errc::invalid_value, "no token (lines of NAME TOKEN)");
  }
  return out;
}

core::Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::fail(core::Errc::invalid_value,
                      path + ": cannot read the token file: " + std::strerror(errno));
  }
  std::string text(kMaxFileSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileSize) {
    return core::fail(core::Errc::too_large, path + ": the token file is over 1 MiB");
  }
  return text;
}

}  // namespace

core::Result<AdminTokens> AdminTokens::parse(std::string_view text) {
  auto lines = token_lines(text);
  if (!lines) {
    return tl::unexpected(lines.error());
  }
  AdminTokens tokens;
  for (const Line& line : *lines) {
    AdminPrincipal principal{line.name, AdminRole::service_operator, {}};
    if (!line.scope.empty()) {
      auto domains = scope_domains(line.scope);
      if (!domains) {
        return core::fail(core::Errc::invalid_value,
                          "line " + std::to_string(line.number) + ": " + domains.error());
      }
      principal.role = AdminRole::customer;
      principal.domains = std::move(*domains);
    }
    tokens.entries_.push_back(Entry{std::move(principal), digest_of(line.token)});
  }
  return tokens;
}

bool AdminPrincipal::may_access(std::string_view domain) const {
  return role == AdminRole::service_operator ||
         std::binary_search(domains.begin(), domains.end(), domain, std::less<>());
}

std::string_view admin_role_name(AdminRole role) {
  switch (role) {
    case AdminRole::service_operator:
      return "operator";
    case AdminRole::customer:
      return "customer";
  }
  return "customer";
}

std::optional<AdminPrincipal> AdminTokens::authenticate(std::string_view presented) const {
  const auto digest = digest_of(presented);
  const Entry* match = nullptr;
  // Every entry is compared, whatever matched before.
  for (const Entry& entry : entries_) {
    const bool equal = CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0;
    match = equal ? &entry : match;
  }
  if (match == nullptr) {
    return std::nullopt;
  }
  return match->principal;
}

core::Result<AdminTokenFile> read_admin_tokens(const std::string& path) {
  auto text = read_text(path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto parsed = AdminTokens::parse(*text);
  if (!parsed) {
    return tl::unexpected(core::Error{parsed.error().code, path + ": " + parsed.error().message});
  }
  AdminTokenFile file{std::move(*parsed), {}};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
    file.warnings.push_back(path + ": the token file is readable by every user (chmod 0600 it)");
  }
  return file;
}

core::Result<ClientToken> read_client_token(const std::string& path, std::string_view name) {
  auto text = read_text(path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto lines = token_lines(*text);
  if (!lines) {
    return tl::unexpected(core::Error{lines.error().code, path + ": " + lines.error().message});
  }
  for (const Line& line : *lines) {
    if (name.empty() || line.name == name) {
      return ClientToken{line.name, line.token};
    }
  }
  return core::fail(core::Errc::invalid_value, path + ": no token named " + std::string(name));
}

}  // namespace mtasts::hosting
