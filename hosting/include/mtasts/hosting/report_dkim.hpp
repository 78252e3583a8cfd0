#pragma once

// DKIM for TLS-RPT reports received by mail. RFC 8460 §3: "Reports sent via SMTP MUST contain
// a valid DKIM signature by the reporting domain. Reports lacking such a signature MUST be
// ignored by the recipient." Verification is libopendkim's; the key records come from the
// caller, fetched beforehand (dkim_key_names lists them), so nothing here touches the network.
//
// Which d= counts as "by the reporting domain": the reporting domain itself or a parent of it
// with at least two labels (d=example.com for reports from mail.example.com). Whoever runs a
// parent zone can already delegate or rewrite the child, so trusting it adds nobody; a child or
// sibling of the reporting domain is not accepted, as without the Public Suffix List
// (user.github.io under github.io) it may belong to someone else.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::hosting {

// The key record for one name "<selector>._domainkey.<domain>": the TXT record's strings
// joined, or nullopt when the caller has none (not found, lookup failed, not fetched). Must not
// throw; it is called while libopendkim is on the stack.
using DkimKeyLookup = std::function<std::optional<std::string>(std::string_view name)>;

enum class DkimResult {
  pass,             // a valid signature whose d= is the reporting domain or a parent of it
  no_signature,     // no DKIM-Signature header field
  bad_signature,    // the signature by the reporting domain does not verify: body or headers
                    // changed, expired, revoked or unusable key, l= used (RFC 8460 §3 forbids)
  wrong_domain,     // valid signatures only by other domains
  key_unavailable,  // the key of the reporting domain's signature was not given by the lookup
  error,            // the message cannot be checked: too large, no From, library failure
};

// "pass", "no-signature", "bad-signature", "wrong-domain", "key-unavailable", "error".
[[nodiscard]] std::string_view to_string(DkimResult result);

struct DkimVerdict {
  DkimResult result = DkimResult::error;
  std::string domain;    // d= of the signature the verdict is about; empty when none
  std::string selector;  // s= of that signature
  std::string reason;    // one sentence for the log, e.g. "body hash mismatch"
};

// DKIM-Signature header fields looked at by dkim_key_names: a report has one or two.
inline constexpr std::size_t kMaxDkimSignatures = 8;

// The DKIM key names "<s>._domainkey.<d>" (lower case, no duplicates, in header order) of the
// first kMaxDkimSignatures DKIM-Signature header fields of `message` whose d= and s= are
// well-formed domain names. Empty when there are none or the message is over
// kReportMailMaxBytes (report_mail.hpp). verify_report_dkim asks the lookup for these names.
[[nodiscard]] std::vector<std::string> dkim_key_names(std::string_view message);

// Verifies the DKIM signatures of `message` (as received; LF line ends are read as CRLF, a
// leading mbox "From " line is skipped) with
// keys from `lookup`, and judges them against `reporting_domain`: the domain the report claims
// to come from, normally its TLS-Report-Submitter (RFC 8460 §5.3). Several signatures: pass
// when any valid one is aligned (see above); otherwise the verdict about the most telling
// signature: an aligned one's key_unavailable, bad_signature or error first, then wrong_domain
// when another domain's signature is valid, then the other domains' failures. Never throws.
[[nodiscard]] DkimVerdict verify_report_dkim(std::string_view message,
                                             std::string_view reporting_domain,
                                             const DkimKeyLookup& lookup);

// Whether d= `signing_domain` counts as the reporting domain's (the rule above). Case and a
// final dot are ignored.
[[nodiscard]] bool dkim_domain_aligned(std::string_view signing_domain,
                                       std::string_view reporting_domain);

}  // namespace mtasts::hosting
