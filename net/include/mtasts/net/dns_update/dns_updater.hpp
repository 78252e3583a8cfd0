#pragma once

// RFC 2136 dynamic updates of TXT records, signed with RFC 8945 TSIG, sent over TCP to the
// zone's primary authoritative server (the record manager of `mtasts host` keeps
// `d.<delegation zone> TXT "v=STSv1; id=..."` current with it; docs/hosting.md).
//
// One update is one TCP connection: connect, write the 2-byte length and the message, read one
// length-prefixed answer (at most 65535 octets), close; one deadline covers all of it. The
// message and the checks of the answer are built in core (core/dns_update.hpp); this layer
// draws the ID, reads the clock, computes the HMACs (OpenSSL) and compares MACs in constant
// time. With a key, only an answer signed with that key, for this request, within its fudge of
// our clock, is believed; an unsigned or badly signed answer is an error. Updates may run
// concurrently (each has its own connection); the server applies them in the order it gets them.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/dns_update/dns_update.hpp"

namespace mtasts::net {

struct TsigKey {
  std::string name;                       // e.g. "mtasts-update" (the key's id in knot, BIND)
  std::string algorithm = "hmac-sha256";  // hmac-sha256, hmac-sha512 or hmac-sha1
  std::string secret;                     // raw bytes (not base64)
};

struct DnsUpdateOptions {
  std::string server;  // IP address of the primary (IPv4 or IPv6 text); names are not resolved
  std::uint16_t port = 53;
  std::string zone;  // every owner updated must be inside it
  std::optional<TsigKey> key;
  std::chrono::milliseconds timeout{5000};  // connect + write + read of one update
};

class DnsUpdater {
 public:
  virtual ~DnsUpdater() = default;

  // Validates the options (zone and key names, algorithm, non-empty secret, server address,
  // positive timeout) and makes an updater that runs on `executor`.
  // Errors: Errc::invalid_value naming the option and what is wrong with it.
  [[nodiscard]] static core::Result<std::unique_ptr<DnsUpdater>> create(
      boost::asio::any_io_executor executor, DnsUpdateOptions options);

  // Replaces the TXT RRset at `owner` (inside the zone) with one record holding `text`, split
  // into 255-octet character-strings. Completes within the timeout (plus scheduling).
  // Errors: core::Errc::invalid_value for an owner outside the zone or a bad name, before
  // anything is sent; core::Errc::too_large for text that does not fit; net::Errc::connect
  // when the connection is refused, reset or closed early; net::Errc::timeout when the
  // deadline passed; core::Errc::invalid_syntax for a malformed answer; net::Errc::protocol for
  // one with another ID or a signature that does not verify; net::Errc::refused for an
  // unsigned error answer when a key is set; core::Errc::invalid_value for a signature outside
  // its fudge of our clock or any RCODE but NOERROR, with a message an admin can act on ("the
  // server refused the update (REFUSED): is key 'k' allowed to update zone 'z'?").
  virtual boost::asio::awaitable<core::Result<void>> replace_txt(std::string owner,
                                                                 std::uint32_t ttl,
                                                                 std::string text) = 0;

  // Deletes the TXT RRset at `owner`; deleting what does not exist succeeds (RFC 2136 §3.4.2.3).
  // Errors as replace_txt.
  virtual boost::asio::awaitable<core::Result<void>> remove_txt(std::string owner) = 0;
};

// A key from its parts as configuration files give them: the secret in base64 (RFC 4648,
// padding required, whitespace allowed). Errors: Errc::invalid_value for a bad name, an
// unsupported algorithm, or a secret that is not base64 or is empty.
[[nodiscard]] core::Result<TsigKey> parse_tsig_key(std::string_view name,
                                                   std::string_view algorithm,
                                                   std::string_view base64_secret);

// A key from the text of a key file, in any of the forms the servers' tools write:
//   knot (`keymgr -t`):  key:\n  - id: NAME\n    algorithm: ALG\n    secret: BASE64
//   BIND (`tsig-keygen`): key "NAME" { algorithm ALG; secret "BASE64"; };
//   one line (`knsupdate -y`, `nsupdate -y`): ALG:NAME:BASE64
// The file must hold exactly one key. Errors: Errc::invalid_value saying what is missing.
[[nodiscard]] core::Result<TsigKey> parse_tsig_key_text(std::string_view text);

// Reads a key file (see parse_tsig_key_text). Errors: net::Errc::io when the file cannot be
// read (the message names it), else as parse_tsig_key_text.
[[nodiscard]] core::Result<TsigKey> read_tsig_key_file(const std::string& path);

// HMAC of `data` with `secret` (RFC 2104) by the TSIG algorithm's hash; the full-length MAC.
// Errors: net::Errc::system when OpenSSL fails.
[[nodiscard]] core::Result<std::vector<std::uint8_t>> tsig_hmac(core::TsigAlgorithm algorithm,
                                                                std::string_view secret,
                                                                std::span<const std::uint8_t> data);

}  // namespace mtasts::net
