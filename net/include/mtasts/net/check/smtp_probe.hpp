#pragma once

// A STARTTLS probe of one MX host, as a sending MTA under an enforced MTA-STS policy sees it
// (RFC 8461 §4.1, §4.2; CONFORMANCE 046-048): connect to port 25, read the banner, EHLO,
// require STARTTLS, handshake with SNI = the MX name, PKIX-verify (system store or a CA file),
// check a DNS-ID against the MX name (no CN fallback), TLS 1.2 or later, then QUIT.
//
// One deadline covers the whole probe; every reply is read within it and within a byte limit.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net {

// How a probe ended. The names (smtp_probe_status_name) are shown to people and in tests.
enum class SmtpProbeStatus {
  ok,                  // STARTTLS and a TLS 1.2+ handshake with a certificate valid for the MX
  unreachable,         // no TCP connection to any address (refused, unreachable)
  timeout,             // the deadline passed (connect, a reply, the handshake)
  smtp_protocol,       // the server's replies were not SMTP: bad banner, oversize line, close
  no_starttls,         // the EHLO reply does not offer STARTTLS, or STARTTLS was refused
  tls_version,         // the server offers no TLS 1.2 or later
  tls_handshake,       // TLS failed for another reason than the certificate
  cert_untrusted,      // no chain to a trusted root (self-signed, unknown CA, no intermediate)
  cert_expired,        // a certificate of the chain has expired
  cert_not_yet_valid,  // a certificate of the chain is not valid yet
  cert_name_mismatch,  // no DNS-ID matches the MX host name
  cert_invalid,        // any other certificate failure
  internal,            // mtasts itself failed (TLS library error)
};

// "ok", "unreachable", "timeout", "smtp-protocol", "no-starttls", "tls-version",
// "tls-handshake", "cert-untrusted", "cert-expired", "cert-not-yet-valid", "cert-name-mismatch",
// "cert-invalid", "internal".
[[nodiscard]] std::string_view smtp_probe_status_name(SmtpProbeStatus status);

struct SmtpProbeResult {
  SmtpProbeStatus status = SmtpProbeStatus::internal;
  std::string message;  // for anything but ok: what happened, for a person
  std::string peer;     // "address:port" connected to; empty when no connection was made
  std::string banner;   // the first line of the greeting
  bool starttls_offered = false;
  std::string tls_version;                     // e.g. "TLSv1.3"; empty without a handshake
  std::optional<CertificateInfo> certificate;  // the leaf, even when it failed validation
  long verify_result = 0;                      // OpenSSL X509_V_* code
};

struct SmtpProbeOptions {
  std::chrono::milliseconds timeout{10'000};  // the whole probe of one host
  std::optional<std::string> ca_file;         // PEM bundle that replaces the system store
  std::uint16_t port = 25;                    // another port only serves tests
  std::string ehlo_name = "mtasts-check.invalid";
};

// Longest SMTP reply line accepted (RFC 5321 §4.5.3.1.5 allows 512 octets) and longest reply.
inline constexpr std::size_t kMaxSmtpLine = 2048;
inline constexpr std::size_t kMaxSmtpReply = 16 * 1024;

class SmtpProber {
 public:
  virtual ~SmtpProber() = default;
  // Probes `mx_host` (lowercase, no trailing dot) at `addresses` (textual IPs, tried in order).
  // Never throws; completes within the configured timeout. The prober must outlive the probe.
  virtual boost::asio::awaitable<SmtpProbeResult> probe(std::string mx_host,
                                                        std::vector<std::string> addresses) = 0;
};

// Errors: Errc::io when the CA file cannot be read, Errc::system when the TLS context cannot be
// set up.
[[nodiscard]] core::Result<std::unique_ptr<SmtpProber>> make_smtp_prober(
    boost::asio::any_io_executor executor, SmtpProbeOptions options);

}  // namespace mtasts::net
