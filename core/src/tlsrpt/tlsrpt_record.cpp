#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

#include <algorithm>

#include "base/tag_record.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/host_port.hpp"
#include "mtasts/core/base/percent_decode.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

constexpr TagRecordSyntax kTlsrptSyntax{
    "v=TLSRPTv1",
    {LintCode::tlsrpt_non_ascii, LintCode::tlsrpt_version_missing, LintCode::tlsrpt_empty_field,
     LintCode::tlsrpt_trailing_whitespace, LintCode::tlsrpt_field_syntax,
     LintCode::tlsrpt_field_name_invalid},
    "_smtp._tls"};

// RFC 3986 characters that may appear in a URI: unreserved, reserved and "%".
bool is_uri_char(char c) {
  static constexpr std::string_view kOther = "-._~:/?#[]@!$&'()*+,;=%";
  return is_alnum(c) || kOther.find(c) != std::string_view::npos;
}

std::string_view scheme_of(std::string_view uri) {
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(uri.front())) {
    return {};
  }
  const std::string_view scheme = uri.substr(0, colon);
  const bool ok = std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return is_alnum(c) || c == '+' || c == '-' || c == '.';
  });
  return ok ? scheme : std::string_view{};
}

// Checks one rua URI; adds a usable endpoint or a finding.
void check_uri(std::string_view uri, TlsrptRecord& record, Findings& findings) {
  const std::string shown = printable(uri);
  const std::string_view scheme = scheme_of(uri);
  if (uri.empty() || scheme.empty() || !std::all_of(uri.begin(), uri.end(), is_uri_char)) {
    findings.add(LintCode::tlsrpt_rua_invalid, "\"" + shown + "\" is not a URI");
    return;
  }
  record.rua.emplace_back(uri);
  if (uri.find('!') != std::string_view::npos) {
    // RFC 8460 §3: "!" must be percent-encoded; a DMARC-style size suffix is not TLSRPT.
    findings.add(LintCode::tlsrpt_rua_exclamation,
                 "\"" + shown +
                     "\" contains an unencoded \"!\" (a DMARC size suffix?); "
                     "reporters ignore this URI: remove the suffix or encode it as %21");
    return;
  }
  const std::string lower_scheme = ascii_lower(scheme);
  const std::string_view rest = uri.substr(scheme.size() + 1);
  if (lower_scheme == "mailto") {
    // RFC 6068: mailto:<to>[?<hfields>]; header fields such as "?subject=..." are valid and
    // leave the address alone.
    const auto address = percent_decode(rest.substr(0, rest.find('?')));
    const std::size_t at = address ? address->rfind('@') : std::string::npos;
    if (!address || at == std::string::npos || at == 0 ||
        !normalize_domain(std::string_view(*address).substr(at + 1))) {
      findings.add(LintCode::tlsrpt_rua_invalid,
                   "\"" + shown + "\" is not a mailto: URI with a valid address");
      return;
    }
    record.endpoints.push_back(RuaEndpoint{RuaScheme::mailto, std::string(uri), *address});
    return;
  }
  if (lower_scheme == "https") {
    if (rest.substr(0, 2) != "//") {
      findings.add(LintCode::tlsrpt_rua_invalid, "\"" + shown + "\" is not an https:// URL");
      return;
    }
    std::string_view authority = rest.substr(2);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    authority = authority.substr(
        authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
    const auto host_port = parse_host_port(authority, url_authority(443));
    if (!host_port) {
      findings.add(LintCode::tlsrpt_rua_invalid,
                   "\"" + shown + "\" has an invalid host or port: " + host_port.error().message);
      return;
    }
    const std::string& host = host_port->host;
    if (!normalize_domain(host) && !is_address_literal(host)) {
      findings.add(LintCode::tlsrpt_rua_invalid, "\"" + shown + "\" has no valid host name");
      return;
    }
    record.endpoints.push_back(RuaEndpoint{RuaScheme::https, std::string(uri), std::string(uri)});
    return;
  }
  findings.add(LintCode::tlsrpt_rua_scheme,
               "\"" + shown + "\" uses the scheme \"" + printable(scheme) +
                   "\"; only mailto: and https: are defined (RFC 8460 §3), so reporters ignore it");
}

void parse_rua(std::string_view value, TlsrptRecord& record, Findings& findings) {
  // tlsrpt-rua = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = value.find(',', pos);
    const std::string_view uri =
        trim_wsp(value.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    if (uri.find_first_of(" \t") != std::string_view::npos) {
      findings.add(LintCode::tlsrpt_rua_invalid,
                   "\"" + printable(uri) + "\" contains whitespace: separate URIs with \",\"");
    } else if (uri.empty()) {
      findings.add(LintCode::tlsrpt_rua_invalid, "the rua list has an empty entry");
    } else {
      check_uri(uri, record, findings);
    }
    if (comma == std::string_view::npos) {
      return;
    }
    pos = comma + 1;
  }
}

}  // namespace

TlsrptRecordReport lint_tlsrpt_record(std::string_view text) {
  TlsrptRecordReport report;
  Findings& findings = report.findings;
  const std::vector<TagField> fields = split_tag_record(text, kTlsrptSyntax, findings);
  if (!findings.ok()) {
    return report;
  }
  TlsrptRecord record;
  bool have_rua = false;
  for (const TagField& field : fields) {
    if (field.name == "rua") {
      have_rua = true;  // several rua fields are united (CONFORMANCE 079)
      parse_rua(field.value, record, findings);
      continue;
    }
    if (!is_tag_ext_value(field.value)) {
      findings.add(LintCode::tlsrpt_extension_invalid,
                   "the value of field \"" + std::string(field.name) + "\" (\"" +
                       printable(field.value) +
                       "\") must be non-empty and contain no spaces, \"=\" or \";\"");
      continue;
    }
    if (iequals(field.name, "rua") || iequals(field.name, "v")) {
      findings.add(LintCode::tlsrpt_field_case,
                   "field \"" + std::string(field.name) +
                       "\" is not \"rua\": field names are case-sensitive, so it is ignored");
    }
    record.extensions.emplace_back(std::string(field.name), std::string(field.value));
  }
  if (findings.ok() && !have_rua) {
    findings.add(LintCode::tlsrpt_rua_missing,
                 "the record has no rua field: add \"rua=mailto:tlsrpt@example.com\" or an "
                 "https:// URL where reports should go");
  }
  if (findings.ok() && have_rua && record.endpoints.empty()) {
    findings.add(LintCode::tlsrpt_rua_unusable,
                 "no rua URI is usable (mailto: or https: without an unencoded \"!\"), so no "
                 "report can be delivered");
  }
  if (findings.ok()) {
    report.record = std::move(record);
  }
  return report;
}

Result<TlsrptRecord> parse_tlsrpt_record(std::string_view text) {
  TlsrptRecordReport report = lint_tlsrpt_record(text);
  if (report.record) {
    return std::move(*report.record);
  }
  return fail(Errc::invalid_syntax, report.findings.first_error());
}

TlsrptRecordSelection select_tlsrpt_record(const std::vector<TxtStrings>& rrs) {
  TlsrptRecordSelection selection;
  for (const TxtStrings& rr : rrs) {
    std::string text = concatenate_strings(rr);
    if (!is_candidate_record(text, kTlsrptSyntax.version_literal)) {
      continue;
    }
    if (++selection.candidates == 1) {
      selection.text = std::move(text);
    }
  }
  if (selection.candidates != 1) {
    selection.choice = selection.candidates == 0 ? RecordChoice::none : RecordChoice::multiple;
    selection.text.clear();
    return selection;
  }
  selection.report = lint_tlsrpt_record(selection.text);
  selection.choice = selection.report.record ? RecordChoice::ok : RecordChoice::invalid;
  return selection;
}

}  // namespace mtasts::core
