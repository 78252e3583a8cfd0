#pragma once

// The grammar of SMTP command lines (RFC 5321 §4.1), for SmtpSession: the verb, the paths of
// MAIL and RCPT, and the MAIL parameters this server knows (SIZE, BODY).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "mtasts/core/smtp/smtp_session.hpp"

namespace mtasts::core {

enum class SmtpVerb {
  helo,
  ehlo,
  lhlo,
  mail,
  rcpt,
  data,
  rset,
  noop,
  quit,
  vrfy,
  help,
  not_implemented,  // EXPN, STARTTLS, AUTH, BDAT, ETRN, TURN, SEND, SOML, SAML
  non_smtp,         // an HTTP method: GET, POST, CONNECT, ... (a client in the wrong place)
  empty,            // an empty line
  unknown,
};

struct SmtpCommandLine {
  SmtpVerb verb = SmtpVerb::unknown;
  std::string_view arg;  // after the verb, surrounding spaces removed
};

// Splits a command line (without its line end) into verb (matched case-insensitively) and
// argument.
[[nodiscard]] SmtpCommandLine split_command(std::string_view line);

// A path of MAIL or RCPT and what follows it.
struct SmtpPath {
  std::string address;      // without brackets and source route; "" for <>
  std::string_view params;  // the ESMTP parameters after the path, spaces removed at the ends
};

// Parses "FROM:<path> params" (keyword "FROM:") or "TO:<path> params" ("TO:"): keyword
// case-insensitive, spaces allowed after the colon, a path in angle brackets (quoted local
// parts kept as sent, an RFC 5321 §4.1.2 source route dropped), at most kSmtpMaxPath octets,
// printable ASCII only. The address is "" (for <>), "postmaster" (any case), or local@domain
// with both parts non-empty. nullopt: anything else.
[[nodiscard]] std::optional<SmtpPath> parse_smtp_path(std::string_view arg,
                                                      std::string_view keyword);

// The MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY).
struct MailParams {
  std::optional<std::uint64_t> size;  // saturated at UINT64_MAX
  SmtpBody body = SmtpBody::unspecified;
};

// Why MAIL parameters were refused.
enum class ParamProblem {
  unknown,    // a parameter this server did not advertise: 555 5.5.4
  bad_value,  // SIZE without digits, BODY other than 7BIT or 8BITMIME: 501 5.5.4
};

struct ParamError {
  ParamProblem problem;
  std::string name;  // the parameter's keyword as sent (printable, bounded)
};

// Parses space-separated "KEYWORD[=VALUE]" parameters of MAIL; keywords and BODY values are
// case-insensitive. Errors: the first parameter refused.
[[nodiscard]] tl::expected<MailParams, ParamError> parse_mail_params(std::string_view params);

}  // namespace mtasts::core
