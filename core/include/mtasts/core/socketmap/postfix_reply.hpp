#pragma once

// Replies to Postfix socketmap lookups from smtp_tls_policy_maps (socketmap_table(5),
// postconf(5) smtp_tls_policy_maps). A reply payload is "OK <data>", "NOTFOUND ",
// "TEMP <reason>", "PERM <reason>" or "TIMEOUT <reason>"; the caller frames it with
// encode_netstring().
//
// Everything taken from a remote policy is untrusted. The renderer guarantees, whatever the
// policy holds, that a reply has only printable ASCII, never exceeds the reply limit, never
// has an unbalanced "{ }" group, and never lists an mx pattern Postfix could misread. When no
// safe OK reply exists for an enforced policy it answers TEMP, so mail is deferred, never sent
// with weaker protection and never bounced (RFC 8461 §5).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mtasts/core/socketmap/netstring.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/tlsrpt/result_type.hpp"

namespace mtasts::core {

// Status words of the socketmap protocol.
enum class ReplyKind {
  ok,        // "OK <data>": the TLS policy for the destination
  notfound,  // "NOTFOUND ": no policy; Postfix applies its own default
  temp,      // "TEMP <reason>": temporary failure; Postfix defers the mail
  perm,      // "PERM <reason>": permanent failure of the lookup itself
  timeout,   // "TIMEOUT <reason>": the lookup timed out; Postfix defers the mail
};

// "OK", "NOTFOUND", "TEMP", "PERM", "TIMEOUT".
[[nodiscard]] std::string_view reply_kind_name(ReplyKind kind);

// RFC 8460 §4.3.2.2 result types a policy plugin can hand to Postfix 3.10 as policy_failure.
enum class PolicyFailure {
  sts_policy_fetch_error,  // the policy could not be fetched
  sts_policy_invalid,      // the fetched policy did not validate
  sts_webpki_invalid,      // the policy host's certificate did not validate
  validation_failure,      // a general validation failure
};

// The RFC 8460 result type Postfix reports for the failure (to_string gives its name).
[[nodiscard]] TlsrptResultType tlsrpt_result_type(PolicyFailure failure);

// What the match= attribute lists.
enum class MatchForm {
  patterns,  // the policy's mx patterns, "*.x" written ".x" (the peer's form; note that Postfix
             // then accepts any depth of subdomain under x)
  mx_hosts,  // only the MX host names the daemon found allowed, given in ReplyInput::mx_hosts
};

// require_sni: whether to add "servername=hostname" (Postfix >= 3.4).
enum class SniMode { off, hostname };

// strict_testing: whether a "testing" policy is enforced like "enforce".
enum class TestingMode { report_only, strict };

// tlsrpt: whether to add the Postfix 3.10 TLSRPT attributes. Postfix <= 3.9 rejects them
// ("invalid attribute name") and then fails every delivery to the domain.
enum class TlsrptAttributes { off, on };

// What render_policy_reply() left out to stay under the reply limit.
enum class ReplyTrim {
  none,
  policy_strings,     // every "{ policy_string = ... }"
  mx_host_patterns,   // those and every mx_host_pattern=
  tlsrpt_attributes,  // every TLSRPT attribute
};

// Replies never exceed max(ReplyInput::max_reply, kMinReplyLimit) bytes, so a TEMP reply
// always fits.
inline constexpr std::size_t kMinReplyLimit = 256;
// TEMP, PERM and TIMEOUT reasons are cut to this many bytes.
inline constexpr std::size_t kMaxReasonLength = 200;

struct ReplyInput {
  std::string_view policy_domain;  // normalised (lowercase A-labels), as the cache keys it
  const Policy& policy;            // the policy in effect: fresh, or cached and unexpired
  MatchForm form = MatchForm::patterns;
  std::span<const std::string> mx_hosts = {};  // MatchForm::mx_hosts only
  SniMode sni = SniMode::hostname;
  TestingMode testing = TestingMode::report_only;
  TlsrptAttributes tlsrpt = TlsrptAttributes::off;
  // Sent as policy_failure= (TLSRPT attributes on only). Postfix then forces a certificate
  // verification failure, so the mail is deferred: give one only when delivery must fail.
  std::optional<PolicyFailure> failure = std::nullopt;
  std::size_t max_reply = kPostfixMaxReply;
};

struct PostfixReply {
  ReplyKind kind = ReplyKind::notfound;  // ok, notfound or temp
  std::string text;                      // the payload, not yet netstring-framed
  std::size_t dropped_patterns = 0;      // mx patterns or MX host names left out as unsafe
  std::size_t dropped_lines = 0;         // policy lines left out of policy_string as unsafe
  ReplyTrim trim = ReplyTrim::none;

  friend bool operator==(const PostfixReply&, const PostfixReply&) = default;
};

// "NOTFOUND " with its trailing space, byte for byte what postfix-mta-sts-resolver sends.
[[nodiscard]] std::string render_notfound();

// "TEMP <reason>", "PERM <reason>", "TIMEOUT <reason>" with the reason passed through
// sanitize_reason().
[[nodiscard]] std::string render_temp(std::string_view reason);
[[nodiscard]] std::string render_perm(std::string_view reason);
[[nodiscard]] std::string render_timeout(std::string_view reason);

// A reason safe in a reply and a log line: every byte outside printable ASCII becomes '?',
// surrounding spaces are trimmed, the result is cut to kMaxReasonLength bytes; an empty reason
// becomes "unspecified".
[[nodiscard]] std::string sanitize_reason(std::string_view reason);

// The reply for a domain that has a policy.
//   mode none, or testing with TestingMode::report_only -> NOTFOUND. With TLSRPT attributes on
//     this is still NOTFOUND: Postfix has no report-only security level ("secure" would
//     enforce the policy, "may" would override the administrator's default level, which may be
//     "dane"), and both peers answer NOTFOUND too. The daemon reports testing-mode failures
//     itself.
//   enforce, or testing with TestingMode::strict ->
//     "OK secure match=<m1>:<m2>[ servername=hostname]" followed, with TLSRPT attributes on, by
//     " policy_type=sts policy_domain=<d>[ policy_failure=<f>] mx_host_pattern=<p>...
//     { policy_string = <line> }..." (one per Policy::lines entry).
// Left out, and counted: mx patterns and MX host names that are not LDH host names of at least
// two labels or look like IP addresses (a single label could be read as one of Postfix's match
// keywords hostname, nexthop, dot-nexthop); policy lines with '{', '}', a control byte or a
// non-ASCII byte. Over max_reply, policy_string attributes go first, then mx_host_pattern ones,
// then the other TLSRPT attributes.
//   -> TEMP when no match entry survives, when the match list alone is over the limit, or when
//     policy_domain is not an LDH host name.
[[nodiscard]] PostfixReply render_policy_reply(const ReplyInput& input);

}  // namespace mtasts::core
