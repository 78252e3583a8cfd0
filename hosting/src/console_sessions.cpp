#include "mtasts/hosting/console_sessions.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

namespace mtasts::hosting {
namespace {

constexpr std::size_t kSecretBytes = 32;

std::array<std::uint8_t, 32> digest_of(std::string_view text) {
  std::array<std::uint8_t, 32> out{};
  ::SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

// 32 random bytes as 64 lowercase hex digits, or nullopt when the generator fails.
std::optional<std::string> random_secret() {
  std::array<unsigned char, kSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return std::nullopt;
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    out.push_back(kHex[byte >> 4U]);
    out.push_back(kHex[byte & 0x0fU]);
  }
  return out;
}

}  // namespace

bool same_secret(std::string_view presented, std::string_view expected) {
  if (presented.size() != expected.size()) {
    return false;
  }
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

core::Result<NewConsoleSession> ConsoleSessions::open(AdminPrincipal principal,
                                                      core::HostTime now) {
  auto id = random_secret();
  auto csrf = random_secret();
  if (!id || !csrf) {
    return core::fail(core::Errc::invalid_value, "the random generator failed");
  }
  Entry entry{ConsoleSession{std::move(principal), std::move(*csrf), {}}, now,
              now + limits_.absolute_lifetime};
  entry.session.expires = std::min(now + limits_.idle_lifetime, entry.absolute_end);
  NewConsoleSession out{*id, entry.session};
  auto table = table_.lock();
  std::erase_if(*table, [this, now](const auto& item) {
    return now >= item.second.absolute_end || now >= item.second.last_used + limits_.idle_lifetime;
  });
  while (!table->empty() && table->size() >= limits_.max_sessions) {
    const auto oldest = std::min_element(
        table->begin(), table->end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    table->erase(oldest);
  }
  table->insert_or_assign(digest_of(*id), std::move(entry));
  return out;
}

std::optional<ConsoleSession> ConsoleSessions::use(std::string_view id, core::HostTime now) {
  auto table = table_.lock();
  const auto found = table->find(digest_of(id));
  if (found == table->end()) {
    return std::nullopt;
  }
  Entry& entry = found->second;
  if (now >= entry.absolute_end || now >= entry.last_used + limits_.idle_lifetime) {
    table->erase(found);
    return std::nullopt;
  }
  entry.last_used = now;
  entry.session.expires = std::min(now + limits_.idle_lifetime, entry.absolute_end);
  return entry.session;
}

bool ConsoleSessions::close(std::string_view id) {
  return table_.lock()->erase(digest_of(id)) > 0;
}

std::size_t ConsoleSessions::size() {
  return table_.lock()->size();
}

}  // namespace mtasts::hosting
