#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"

#include <algorithm>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

std::string host_name(const std::optional<std::string>& text) {
  if (!text) {
    return {};
  }
  std::string name = lowercase(trim_space(*text));
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name;
}

std::string plain(const std::optional<std::string>& text) {
  return text ? std::string(trim_space(*text)) : std::string();
}

std::string policy_type_text(const TlsrptPolicy& policy) {
  switch (policy.type) {
    case TlsrptPolicyType::sts:
    case TlsrptPolicyType::tlsa:
    case TlsrptPolicyType::no_policy_found:
      return std::string(to_string(policy.type));
    case TlsrptPolicyType::unknown:
      return policy.type_text;
    case TlsrptPolicyType::absent:
      return "absent";
  }
  return "absent";
}

std::string detail_result(const TlsrptFailureDetail& detail) {
  if (detail.result_type) {
    return std::string(to_string(*detail.result_type));
  }
  std::string text = lowercase(trim_space(detail.result_type_text));
  return text.empty() ? std::string("unknown") : text;
}

void add_policy_rows(const TlsrptPolicy& policy, std::size_t index,
                     std::vector<TlsrptSessionRow>& rows) {
  TlsrptSessionRow base;
  base.policy_index = index;
  base.policy_type = policy_type_text(policy);
  base.policy_domain = host_name(policy.policy_domain);

  if (policy.total_successful_session_count.value_or(0) > 0) {
    TlsrptSessionRow row = base;
    row.result = std::string(kTlsrptSuccess);
    row.sessions = *policy.total_successful_session_count;
    rows.push_back(std::move(row));
  }
  std::uint64_t detailed = 0;
  for (const TlsrptFailureDetail& detail : policy.failure_details) {
    if (detail.failed_session_count && *detail.failed_session_count == 0) {
      continue;
    }
    TlsrptSessionRow row = base;
    row.result = detail_result(detail);
    row.receiving_mx = host_name(detail.receiving_mx_hostname);
    row.sending_ip = plain(detail.sending_mta_ip);
    row.receiving_ip = plain(detail.receiving_ip);
    row.sessions = detail.failed_session_count.value_or(0);
    detailed += row.sessions;
    rows.push_back(std::move(row));
  }
  const std::uint64_t total = policy.total_failure_session_count.value_or(0);
  if (total > detailed) {
    TlsrptSessionRow row = base;
    row.result = std::string(kTlsrptUnexplained);
    row.sessions = total - detailed;
    rows.push_back(std::move(row));
  }
}

// The policy type whose rows are counted when the report has both `sts` and `tlsa` rows.
std::string counted_type(const std::vector<TlsrptSessionRow>& rows) {
  std::uint64_t sts = 0;
  std::uint64_t tlsa = 0;
  for (const TlsrptSessionRow& row : rows) {
    if (row.policy_type == "sts") {
      sts += row.sessions;
    } else if (row.policy_type == "tlsa") {
      tlsa += row.sessions;
    }
  }
  return tlsa > sts ? "tlsa" : "sts";
}

}  // namespace

bool tlsrpt_row_is_failure(std::string_view result) {
  return result != kTlsrptSuccess;
}

std::vector<TlsrptSessionRow> tlsrpt_session_rows(const TlsrptReport& report) {
  std::vector<TlsrptSessionRow> rows;
  for (std::size_t i = 0; i < report.policies.size(); ++i) {
    add_policy_rows(report.policies[i], i, rows);
  }
  const bool has_sts = std::any_of(rows.begin(), rows.end(), [](const TlsrptSessionRow& row) {
    return row.policy_type == "sts";
  });
  const bool has_tlsa = std::any_of(rows.begin(), rows.end(), [](const TlsrptSessionRow& row) {
    return row.policy_type == "tlsa";
  });
  if (has_sts && has_tlsa) {
    const std::string kept = counted_type(rows);
    for (TlsrptSessionRow& row : rows) {
      if ((row.policy_type == "sts" || row.policy_type == "tlsa") && row.policy_type != kept) {
        row.counted = false;
      }
    }
  }
  return rows;
}

}  // namespace mtasts::core
