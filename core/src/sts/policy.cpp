#include "mtasts/core/sts/policy.hpp"

#include <algorithm>
#include <unordered_set>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"
#include "sts/policy_fields.hpp"

namespace mtasts::core {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Parser state for one body: what has been seen so far.
class PolicyParser {
 public:
  explicit PolicyParser(Findings& findings) : findings_(findings) {}

  void line(std::string_view text, std::size_t number);
  std::optional<Policy> finish();

 private:
  void field(std::string_view key, std::string_view value, std::size_t number);
  void extension(std::string_view key, std::string_view value, std::size_t number);

  Findings& findings_;
  Policy policy_;
  bool have_version_ = false;
  bool have_mode_ = false;
  bool have_max_age_ = false;
  std::optional<std::size_t> mode_case_line_;
  std::unordered_set<std::string>
      seen_mx_;  // pattern texts already added  // a "Mode:"-like key, for a better message
};

void PolicyParser::line(std::string_view text, std::size_t number) {
  if (std::any_of(text.begin(), text.end(), [](char c) { return c != '\t' && is_control(c); })) {
    findings_.add(
        LintCode::policy_control_character,
        "the line contains a control character (a bare CR, NUL, ...): \"" + printable(text) + "\"",
        number);
    return;
  }
  if (!is_valid_utf8(text)) {
    findings_.add(LintCode::policy_encoding, "the line is not valid UTF-8", number);
    return;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    findings_.add(LintCode::policy_line_syntax,
                  "\"" + printable(text) + "\" is not a \"key: value\" line", number);
    return;
  }
  const std::string_view key = text.substr(0, colon);
  if (!is_ext_name(key)) {
    if (is_ext_name(trim_wsp(key))) {
      findings_.add(LintCode::policy_key_whitespace,
                    "the key \"" + printable(key) + "\" has whitespace around it: write \"" +
                        std::string(trim_wsp(key)) + ": value\" at the start of the line",
                    number);
    } else {
      findings_.add(LintCode::policy_key_invalid,
                    "\"" + printable(key) +
                        "\" is not a valid key (1-32 letters, digits, \"_\", \"-\", \".\")",
                    number);
    }
    return;
  }
  // sts-policy-field-delim = ":" *WSP, and *WSP may follow each field.
  const std::string_view value = trim_wsp(text.substr(colon + 1));
  policy_.lines.push_back(text.substr(0, text.find_last_not_of(" \t") + 1));
  field(key, value, number);
}

void PolicyParser::field(std::string_view key, std::string_view value, std::size_t number) {
  if (key == "version") {
    if (have_version_) {
      findings_.add(LintCode::policy_duplicate_field,
                    "a second \"version\" line is ignored (RFC 8461 §3.2): remove it", number);
      return;
    }
    have_version_ = true;
    if (value != "STSv1") {
      findings_.add(
          LintCode::policy_version_invalid,
          "the version must be \"STSv1\" (case-sensitive), not \"" + printable(value) + "\"",
          number);
    }
    return;
  }
  if (key == "mode") {
    if (have_mode_) {
      findings_.add(LintCode::policy_duplicate_field,
                    "a second \"mode\" line is ignored (RFC 8461 §3.2): remove it", number);
      return;
    }
    have_mode_ = true;
    if (const auto mode = parse_mode_value(value)) {
      policy_.mode = *mode;
    } else {
      findings_.add(LintCode::policy_mode_invalid,
                    "the mode must be \"enforce\", \"testing\" or \"none\" (lowercase), not \"" +
                        printable(value) + "\"",
                    number);
    }
    return;
  }
  if (key == "max_age") {
    if (have_max_age_) {
      findings_.add(LintCode::policy_duplicate_field,
                    "a second \"max_age\" line is ignored (RFC 8461 §3.2): remove it", number);
      return;
    }
    have_max_age_ = true;
    check_max_age(value, number, findings_, policy_);
    return;
  }
  if (key == "mx") {
    add_mx(value, number, findings_, policy_, seen_mx_);
    return;
  }
  extension(key, value, number);
}

void PolicyParser::extension(std::string_view key, std::string_view value, std::size_t number) {
  if (!is_policy_ext_value(value)) {
    findings_.add(LintCode::policy_extension_invalid,
                  "the value of \"" + std::string(key) +
                      "\" must be non-empty printable text (spaces allowed, no tabs or control "
                      "characters)",
                  number);
    return;
  }
  for (std::string_view known : {"version", "mode", "max_age", "mx"}) {
    if (iequals(key, known)) {
      findings_.add(LintCode::policy_key_case,
                    "\"" + std::string(key) + "\" is not \"" + std::string(known) +
                        "\": keys are case-sensitive, so this line is ignored",
                    number);
      if (known == "mode") {
        mode_case_line_ = number;
      }
      return;
    }
  }
  findings_.add(LintCode::policy_unknown_key,
                "unknown key \"" + std::string(key) + "\" is ignored by senders", number);
}

std::optional<Policy> PolicyParser::finish() {
  if (!have_version_) {
    findings_.add(LintCode::policy_version_missing,
                  "the policy has no \"version: STSv1\" line: add it as the first line");
  }
  if (!have_mode_) {
    findings_.add(LintCode::policy_mode_missing,
                  std::string("the policy has no \"mode\" line: add \"mode: testing\", "
                              "\"mode: enforce\" or \"mode: none\"") +
                      (mode_case_line_ ? " (keys are lowercase)" : ""));
  }
  if (!have_max_age_) {
    findings_.add(LintCode::policy_max_age_missing,
                  "the policy has no \"max_age\" line: add e.g. \"max_age: 604800\" (one week)");
  }
  if (have_mode_ && policy_.mode != PolicyMode::none && policy_.mx.empty() && findings_.ok()) {
    // CONFORMANCE 019 / C19: never "enforce with nothing allowed".
    findings_.add(LintCode::policy_mx_missing,
                  "mode " + std::string(mode_name(policy_.mode)) +
                      " needs at least one \"mx:\" line naming the MX hosts");
  }
  if (!findings_.ok()) {
    return std::nullopt;
  }
  if (policy_.mode == PolicyMode::testing) {
    findings_.add(LintCode::policy_mode_testing,
                  "mode testing: senders report failures but still deliver; switch to enforce "
                  "once TLS-RPT reports are clean");
  }
  if (policy_.max_age < kShortMaxAge) {
    findings_.add(LintCode::policy_max_age_short,
                  "max_age " + std::to_string(policy_.max_age) +
                      " is under a day: a short max_age weakens protection against downgrade "
                      "(RFC 8461 §10.2); one week (604800) or more is usual");
  }
  // Keep the lines only when they say more than the fields (order, spelling, extensions).
  policy_.mx.shrink_to_fit();
  const Policy fields_only{policy_.mode, policy_.max_age, policy_.mx, {}};
  const std::vector<std::string> canonical = policy_lines(fields_only);
  if (std::equal(canonical.begin(), canonical.end(), policy_.lines.begin(), policy_.lines.end())) {
    policy_.lines.clear();
  } else {
    policy_.lines.shrink_to_fit();
  }
  return std::move(policy_);
}

}  // namespace

std::string_view mode_name(PolicyMode mode) {
  switch (mode) {
    case PolicyMode::enforce:
      return "enforce";
    case PolicyMode::testing:
      return "testing";
    case PolicyMode::none:
      return "none";
  }
  return "none";
}

PolicyReport lint_policy(std::string_view body) {
  PolicyReport report;
  Findings& findings = report.findings;
  if (body.size() > kMaxPolicySize) {
    findings.add(LintCode::policy_too_large,
                 "the policy is " + std::to_string(body.size()) +
                     " bytes; senders read at most 65536 (RFC 8461 §3.3)");
    return report;
  }
  if (body.substr(0, kBom.size()) == kBom) {
    findings.add(LintCode::policy_bom, "the policy starts with a UTF-8 byte order mark: remove it",
                 1);
    body.remove_prefix(kBom.size());
  }
  PolicyParser parser(findings);
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    ++number;
    const std::size_t lf = body.find('\n', pos);
    std::string_view line = body.substr(pos, lf == std::string_view::npos ? lf : lf - pos);
    pos = lf == std::string_view::npos ? body.size() : lf + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);  // sts-policy-term = LF / CRLF
    }
    if (trim_wsp(line).empty()) {
      findings.add(LintCode::policy_blank_line,
                   "blank line: the grammar has none and strict senders reject the policy", number);
      continue;
    }
    parser.line(line, number);
  }
  if (number == 0) {
    findings.add(LintCode::policy_empty, "the policy is empty");
    return report;
  }
  report.policy = parser.finish();
  return report;
}

Result<Policy> parse_policy(std::string_view body) {
  PolicyReport report = lint_policy(body);
  if (report.policy) {
    return std::move(*report.policy);
  }
  const bool too_large =
      !report.findings.errors.empty() &&
      report.findings.errors.front().code == lint_code_info(LintCode::policy_too_large).code;
  return fail(too_large ? Errc::too_large : Errc::invalid_syntax, report.findings.first_error());
}

bool policy_allows_mx(const Policy& policy, std::string_view mx_host) {
  return std::any_of(policy.mx.begin(), policy.mx.end(),
                     [&](MxPatternView p) { return mx_matches(p, mx_host); });
}

std::vector<std::string> policy_lines(const Policy& policy) {
  if (!policy.lines.empty()) {
    return {policy.lines.begin(), policy.lines.end()};
  }
  std::vector<std::string> lines;
  lines.reserve(policy.mx.size() + 3);
  lines.emplace_back("version: STSv1");
  lines.push_back("mode: " + std::string(mode_name(policy.mode)));
  for (const MxPatternView p : policy.mx) {
    lines.push_back("mx: " + p.text());
  }
  lines.push_back("max_age: " + std::to_string(policy.max_age));
  return lines;
}

std::string render_policy(const Policy& policy) {
  std::string out = "version: STSv1\r\nmode: " + std::string(mode_name(policy.mode)) + "\r\n";
  for (const MxPatternView p : policy.mx) {
    out += "mx: " + p.text() + "\r\n";
  }
  out += "max_age: " + std::to_string(policy.max_age) + "\r\n";
  return out;
}

}  // namespace mtasts::core
