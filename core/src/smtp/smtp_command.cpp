#include "smtp/smtp_command.hpp"

#include <array>
#include <limits>
#include <utility>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

constexpr std::size_t kMaxParamName = 64;

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool printable(char c) {
  return c > 0x20 && c < 0x7f;
}

// The address inside the brackets: "", "postmaster", or local@domain.
bool valid_address(std::string_view address) {
  if (address.empty() || iequals(address, "postmaster")) {
    return true;
  }
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return false;
  }
  const std::string_view domain = address.substr(at + 1);
  if (domain.front() == '[') {
    return domain.back() == ']' && domain.size() > 2;
  }
  for (const char c : domain) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

// The end of the path's '>' in `text` (which starts after '<'), respecting quoted strings;
// npos when there is none or a byte is not allowed.
std::size_t path_end(std::string_view text) {
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 1 < text.size() && text[i + 1] >= 0x20 && text[i + 1] < 0x7f) {
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else if (c < 0x20 || c >= 0x7f) {
        return std::string_view::npos;
      }
      continue;
    }
    if (c == '>') {
      return i;
    }
    if (c == '"') {
      quoted = true;
    } else if (!printable(c)) {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

SmtpVerb verb_of(std::string_view word) {
  struct Known {
    std::string_view name;
    SmtpVerb verb;
  };
  static constexpr std::array<Known, 29> kKnown{{
      {"HELO", SmtpVerb::helo},
      {"EHLO", SmtpVerb::ehlo},
      {"LHLO", SmtpVerb::lhlo},
      {"MAIL", SmtpVerb::mail},
      {"RCPT", SmtpVerb::rcpt},
      {"DATA", SmtpVerb::data},
      {"RSET", SmtpVerb::rset},
      {"NOOP", SmtpVerb::noop},
      {"QUIT", SmtpVerb::quit},
      {"VRFY", SmtpVerb::vrfy},
      {"HELP", SmtpVerb::help},
      {"EXPN", SmtpVerb::not_implemented},
      {"STARTTLS", SmtpVerb::not_implemented},
      {"AUTH", SmtpVerb::not_implemented},
      {"BDAT", SmtpVerb::not_implemented},
      {"ETRN", SmtpVerb::not_implemented},
      {"TURN", SmtpVerb::not_implemented},
      {"ATRN", SmtpVerb::not_implemented},
      {"SEND", SmtpVerb::not_implemented},
      {"SOML", SmtpVerb::not_implemented},
      {"SAML", SmtpVerb::not_implemented},
      {"XCLIENT", SmtpVerb::not_implemented},
      {"GET", SmtpVerb::non_smtp},
      {"POST", SmtpVerb::non_smtp},
      {"HEAD", SmtpVerb::non_smtp},
      {"PUT", SmtpVerb::non_smtp},
      {"CONNECT", SmtpVerb::non_smtp},
      {"OPTIONS", SmtpVerb::non_smtp},
      {"DELETE", SmtpVerb::non_smtp},
  }};
  for (const Known& known : kKnown) {
    if (iequals(word, known.name)) {
      return known.verb;
    }
  }
  return SmtpVerb::unknown;
}

std::string bounded_name(std::string_view name) {
  std::string out(name.substr(0, kMaxParamName));
  for (char& c : out) {
    if (!printable(c)) {
      c = '?';
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  std::uint64_t size = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (const char c : value) {
    if (!is_digit(c)) {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    size = size > (kMax - digit) / 10 ? kMax : size * 10 + digit;
  }
  return size;
}

}  // namespace

SmtpCommandLine split_command(std::string_view line) {
  line = trim_spaces(line);
  if (line.empty()) {
    return {SmtpVerb::empty, {}};
  }
  const std::size_t space = line.find_first_of(" \t");
  const std::string_view word = line.substr(0, space);
  const std::string_view arg =
      space == std::string_view::npos ? std::string_view() : trim_spaces(line.substr(space));
  return {verb_of(word), arg};
}

std::optional<SmtpPath> parse_smtp_path(std::string_view arg, std::string_view keyword) {
  if (!starts_with_nocase(arg, keyword)) {
    return std::nullopt;
  }
  arg = trim_spaces(arg.substr(keyword.size()));
  if (arg.empty() || arg.front() != '<') {
    return std::nullopt;
  }
  const std::size_t end = path_end(arg.substr(1));
  if (end == std::string_view::npos || end + 2 > kSmtpMaxPath) {
    return std::nullopt;
  }
  std::string_view address = arg.substr(1, end);
  const std::string_view rest = arg.substr(end + 2);
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
    return std::nullopt;
  }
  if (!address.empty() && address.front() == '@') {
    // RFC 5321 §4.1.2 and appendix C: a source route is accepted and ignored.
    const std::size_t colon = address.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    address.remove_prefix(colon + 1);
    if (address.empty()) {
      return std::nullopt;
    }
  }
  if (!valid_address(address)) {
    return std::nullopt;
  }
  return SmtpPath{std::string(address), trim_spaces(rest)};
}

tl::expected<MailParams, ParamError> parse_mail_params(std::string_view params) {
  MailParams out;
  while (!params.empty()) {
    const std::size_t space = params.find_first_of(" \t");
    const std::string_view param = params.substr(0, space);
    params =
        space == std::string_view::npos ? std::string_view() : trim_spaces(params.substr(space));
    const std::size_t eq = param.find('=');
    const std::string_view name = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (iequals(name, "SIZE")) {
      out.size = parse_size(value);
      if (!out.size) {
        return tl::unexpected(ParamError{ParamProblem::bad_value, "SIZE"});
      }
    } else if (iequals(name, "BODY")) {
      if (iequals(value, "7BIT")) {
        out.body = SmtpBody::seven_bit;
      } else if (iequals(value, "8BITMIME")) {
        out.body = SmtpBody::eight_bit_mime;
      } else {
        return tl::unexpected(ParamError{ParamProblem::bad_value, "BODY"});
      }
    } else {
      return tl::unexpected(ParamError{ParamProblem::unknown, bounded_name(name)});
    }
  }
  return out;
}

}  // namespace mtasts::core
