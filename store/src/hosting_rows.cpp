#include "hosting_rows.hpp"

#include <charconv>
#include <limits>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "row_reader.hpp"

namespace mtasts::store {
namespace {

using core::HostedState;
using core::PolicyMode;

std::optional<PolicyMode> decode_mode(std::string_view text) {
  for (const PolicyMode mode : {PolicyMode::enforce, PolicyMode::testing, PolicyMode::none}) {
    if (text == core::mode_name(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

std::optional<HostedState> decode_state(std::string_view text) {
  for (const HostedState state : {HostedState::active, HostedState::removing}) {
    if (text == core::hosted_state_name(state)) {
      return state;
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return lines;
}

template <class T>
Result<T> finished(const RowReader& reader, T value, const std::string& describe) {
  return reader.finish(describe).transform([&] { return std::move(value); });
}

}  // namespace

std::int64_t seconds_of(HostTime t) {
  return t.time_since_epoch().count();
}

SqlValue optional_seconds(const std::optional<HostTime>& t) {
  return t ? SqlValue(seconds_of(*t)) : SqlValue();
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    if (!text.empty()) {
      text += '\n';
    }
    text += line;
  }
  return text;
}

Result<void> check_domain_row(const DomainRow& row) {
  const core::HostedDomain& domain = row.domain;
  if (domain.name.empty()) {
    return fail(Errc::invalid_argument, "a hosted domain needs a name");
  }
  if (domain.current.id.empty()) {
    return fail(Errc::invalid_argument, "hosted domain " + domain.name + ": no current id");
  }
  for (std::size_t i = 0; i < domain.current.policy.mx.size(); ++i) {
    const std::string& mx = domain.current.policy.mx[i];
    if (mx.empty() || mx.find_first_of("\r\n") != std::string::npos) {
      return fail(Errc::invalid_argument, "hosted domain " + domain.name + ": mx[" +
                                              std::to_string(i) +
                                              "] is empty or holds a line break");
    }
  }
  return {};
}

DomainParams::DomainParams(const DomainRow& row) : mx_(join_lines(row.domain.current.policy.mx)) {
  const core::HostedDomain& d = row.domain;
  values_ = {d.name,
             core::hosted_state_name(d.state),
             core::record_mode_name(d.records),
             d.current.id,
             core::mode_name(d.current.policy.mode),
             std::string_view(mx_),
             std::int64_t{d.current.policy.max_age},
             seconds_of(d.current.created_at),
             std::int64_t{d.longest_max_age},
             seconds_of(d.created_at),
             seconds_of(d.updated_at),
             optional_seconds(d.serve_until),
             row.published_id,
             optional_seconds(row.published_at)};
}

Result<DomainRow> decode_domain(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_domains");
  DomainRow out;
  core::HostedDomain& d = out.domain;
  d.name = in.text("name");
  in.name(d.name);
  d.state = in.decoded("state", &decode_state);
  d.records = in.decoded("records", &core::parse_record_mode);
  d.current.id = in.text("current_id");
  d.current.policy.mode = in.decoded("mode", &decode_mode);
  d.current.policy.mx = split_lines(in.text("mx"));
  d.current.policy.max_age = in.u32("max_age");
  d.current.created_at = in.time("version_created_at");
  d.longest_max_age = in.u32("longest_max_age");
  d.created_at = in.time("created_at");
  d.updated_at = in.time("updated_at");
  d.serve_until = in.optional_time("serve_until");
  out.published_id = in.text("published_id");
  out.published_at = in.optional_time("published_at");
  return finished(in, std::move(out), describe);
}

Result<core::PolicyVersion> decode_version(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_versions");
  core::PolicyVersion out;
  out.id = in.text("id");
  in.name(out.id);
  out.policy.mode = in.decoded("mode", &decode_mode);
  out.policy.mx = split_lines(in.text("mx"));
  out.policy.max_age = in.u32("max_age");
  out.created_at = in.time("created_at");
  return finished(in, std::move(out), describe);
}

Result<CertificateRow> decode_certificate(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_certificates");
  CertificateRow out;
  out.name = in.text("name");
  in.name(out.name);
  out.chain_pem = in.text("chain_pem");
  out.key_pem = in.text("key_pem");
  out.not_before = in.time("not_before");
  out.not_after = in.time("not_after");
  out.issued_at = in.time("issued_at");
  out.failures = in.u32("failures");
  out.last_error = in.text("last_error");
  out.retry_at = in.optional_time("retry_at");
  return finished(in, std::move(out), describe);
}

Result<AcmeAccountRow> decode_account(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_acme_accounts");
  AcmeAccountRow out;
  out.directory_url = in.text("directory_url");
  in.name(out.directory_url);
  out.key_pem = in.text("key_pem");
  out.account_url = in.text("account_url");
  out.created_at = in.time("created_at");
  return finished(in, std::move(out), describe);
}

Result<ChallengeRow> decode_challenge(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_challenges");
  ChallengeRow out;
  out.token = in.text("token");
  in.name(out.token);
  out.name = in.text("name");
  out.key_authorization = in.text("key_authorization");
  out.expires_at = in.time("expires_at");
  return finished(in, std::move(out), describe);
}

Result<MonitorRow> decode_monitor(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_monitor_results");
  MonitorRow out;
  out.domain = in.text("domain");
  in.name(out.domain);
  out.checked_at = in.time("checked_at");
  out.passing = in.integer("passing") != 0;
  out.findings = in.text("findings");
  return finished(in, std::move(out), describe);
}

Result<InstanceRow> decode_instance(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_instances");
  InstanceRow out;
  out.name = in.text("name");
  in.name(out.name);
  out.version = in.text("version");
  out.started_at = in.time("started_at");
  out.last_seen = in.time("last_seen");
  out.sync_interval = std::chrono::seconds(in.integer("sync_interval"));
  out.listeners = in.text("listeners");
  return finished(in, std::move(out), describe);
}

Result<AuditEntry> decode_audit(const SqlRow& row, const std::string& describe) {
  RowReader in(row, "host_audit");
  AuditEntry out;
  const std::int64_t seq = in.integer("seq");
  in.name(std::to_string(seq));
  out.seq = static_cast<std::uint64_t>(seq < 0 ? 0 : seq);
  out.at = in.time("at");
  out.actor = in.text("actor");
  out.domain = in.text("domain");
  out.action = in.text("action");
  out.detail = in.text("detail");
  return finished(in, std::move(out), describe);
}

}  // namespace mtasts::store
