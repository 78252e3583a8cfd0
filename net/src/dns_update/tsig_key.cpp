// TSIG keys: parsed from configuration and key files, and the HMAC (RFC 8945 §6) by OpenSSL.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "mtasts/core/base/text.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view unquote(std::string_view text) {
  text = core::trim_space(text);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

// RFC 4648 §4 base64 with padding; whitespace between characters is ignored (key files wrap
// long secrets).
core::Result<std::string> decode_base64(std::string_view text) {
  std::string compact;
  std::copy_if(text.begin(), text.end(), std::back_inserter(compact),
               [](char c) { return !is_space(c); });
  auto decoded = core::base64_decode(compact);
  if (!decoded || compact.empty()) {
    return core::fail(core::Errc::invalid_value, "the TSIG secret is not valid base64");
  }
  return decoded;
}

struct KeyParts {
  std::string name, algorithm, secret;
  int keys = 0;
};

core::Result<TsigKey> from_parts(const KeyParts& parts) {
  if (parts.keys > 1) {
    return core::fail(core::Errc::invalid_value, "the key file holds more than one key");
  }
  if (parts.name.empty() || parts.secret.empty()) {
    return core::fail(core::Errc::invalid_value,
                      parts.name.empty() ? "the key file names no key" : "the key has no secret");
  }
  return parse_tsig_key(parts.name, parts.algorithm.empty() ? "hmac-sha256" : parts.algorithm,
                        parts.secret);
}

// knot's `keymgr -t` form: YAML with id, algorithm and secret.
core::Result<TsigKey> parse_knot_form(const std::vector<std::string_view>& lines) {
  KeyParts parts;
  for (std::string_view line : lines) {
    if (line.starts_with("- ")) {
      line = core::trim_space(line.substr(2));
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view field = core::trim_space(line.substr(0, colon));
    const std::string value(unquote(line.substr(colon + 1)));
    if (field == "id") {
      parts.name = value;
      ++parts.keys;
    } else if (field == "algorithm") {
      parts.algorithm = value;
    } else if (field == "secret") {
      parts.secret = value;
    }
  }
  return from_parts(parts);
}

// BIND's `tsig-keygen` form: key "NAME" { algorithm ALG; secret "BASE64"; };
core::Result<TsigKey> parse_bind_form(std::string_view text) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '"') {
      const std::size_t end = text.find('"', i + 1);
      if (end == std::string_view::npos) {
        return core::fail(core::Errc::invalid_value, "the key file has an unclosed quote");
      }
      tokens.emplace_back(text.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      const std::size_t end = text.find_first_of(" \t\r\n{};\"", i);
      tokens.emplace_back(text.substr(i, end - i));
      i = end == std::string_view::npos ? text.size() : end;
    }
  }
  KeyParts parts;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i] == "key" && tokens[i + 1] != "{") {
      parts.name = tokens[i + 1];
      ++parts.keys;
    } else if (tokens[i] == "algorithm") {
      parts.algorithm = tokens[i + 1];
    } else if (tokens[i] == "secret") {
      parts.secret = tokens[i + 1];
    }
  }
  return from_parts(parts);
}

const EVP_MD* digest_of(core::TsigAlgorithm algorithm) {
  switch (algorithm) {
    case core::TsigAlgorithm::hmac_sha1:
      return EVP_sha1();
    case core::TsigAlgorithm::hmac_sha256:
      return EVP_sha256();
    case core::TsigAlgorithm::hmac_sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

core::Result<TsigKey> parse_tsig_key(std::string_view name, std::string_view algorithm,
                                     std::string_view base64_secret) {
  if (auto wire = core::encode_dns_name(name); !wire) {
    return core::fail(core::Errc::invalid_value, "TSIG key name: " + wire.error().message);
  }
  auto parsed_algorithm = core::parse_tsig_algorithm(algorithm);
  if (!parsed_algorithm) {
    return tl::unexpected(parsed_algorithm.error());
  }
  auto secret = decode_base64(base64_secret);
  if (!secret) {
    return core::fail(core::Errc::invalid_value,
                      "TSIG key '" + std::string(name) + "': " + secret.error().message);
  }
  if (secret->empty()) {
    return core::fail(core::Errc::invalid_value,
                      "TSIG key '" + std::string(name) + "' has an empty secret");
  }
  return TsigKey{std::string(name), std::string(core::tsig_algorithm_name(*parsed_algorithm)),
                 std::move(*secret)};
}

core::Result<TsigKey> parse_tsig_key_text(std::string_view text) {
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = core::trim_space(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.front() != '#' && !line.starts_with("//")) {
      lines.push_back(line);
    }
  }
  if (lines.empty()) {
    return core::fail(core::Errc::invalid_value, "the key file holds no key");
  }
  if (lines.size() == 1 && lines[0].find_first_of(" \t\"{") == std::string_view::npos &&
      lines[0] != "key:") {
    // ALG:NAME:SECRET or NAME:SECRET (knsupdate -y, nsupdate -y); base64 has no ':'.
    const std::string_view line = lines[0];
    const std::size_t last = line.rfind(':');
    if (last == std::string_view::npos) {
      return core::fail(core::Errc::invalid_value, "expected ALGORITHM:NAME:SECRET");
    }
    const std::string_view head = line.substr(0, last);
    const std::size_t first = head.find(':');
    if (first == std::string_view::npos) {
      return parse_tsig_key(head, "hmac-sha256", line.substr(last + 1));
    }
    return parse_tsig_key(head.substr(first + 1), head.substr(0, first), line.substr(last + 1));
  }
  if (lines[0].starts_with("key ") || lines[0].starts_with("key\"")) {
    std::string joined;
    for (const std::string_view line : lines) {
      joined.append(line).push_back('\n');
    }
    return parse_bind_form(joined);
  }
  return parse_knot_form(lines);
}

core::Result<TsigKey> read_tsig_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return core::fail(Errc::io, "cannot read the TSIG key file " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_tsig_key_text(text.str()).or_else([&](const core::Error& error) {
    return core::Result<TsigKey>(core::fail(error.code, path + ": " + error.message));
  });
}

core::Result<std::vector<std::uint8_t>> tsig_hmac(core::TsigAlgorithm algorithm,
                                                  std::string_view secret,
                                                  std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> mac(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  static constexpr unsigned char kNoKey = 0;
  const void* key = secret.empty() ? &kNoKey : static_cast<const void*>(secret.data());
  if (HMAC(digest_of(algorithm), key, static_cast<int>(secret.size()), data.data(), data.size(),
           mac.data(), &size) == nullptr) {
    return core::fail(Errc::system, "OpenSSL could not compute the TSIG HMAC");
  }
  mac.resize(size);
  return mac;
}

}  // namespace mtasts::net
