#include "mtasts/hosting/report_intake.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/prometheus_text.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/core/tlsrpt/policy_match.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"

namespace mtasts::hosting {
namespace {

using core::Errc;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return core::to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

// What a kept-apart report keeps of its bytes: the text when it is text, else base64.
std::string kept_text(std::string_view bytes, std::size_t cap) {
  const std::string_view head = bytes.substr(0, cap);
  const bool text = core::is_valid_utf8(head) &&
                    std::none_of(head.begin(), head.end(), [](char c) { return c == '\0'; });
  return text ? std::string(head) : "base64:" + core::base64_encode(head);
}

std::string findings_json(const core::TlsrptReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const core::TlsrptReportFinding& finding : report.findings) {
    list.push_back({{"code", core::tlsrpt_report_code_name(finding.code)},
                    {"path", finding.path},
                    {"message", finding.message}});
  }
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The Policy Domain the report is about: the first policy's that names one.
std::optional<std::string> policy_domain(const core::TlsrptReport& report) {
  for (const core::TlsrptPolicy& policy : report.policies) {
    if (policy.policy_domain && !policy.policy_domain->empty()) {
      if (auto name = core::normalize_domain(*policy.policy_domain)) {
        return *name;
      }
    }
  }
  return std::nullopt;
}

core::HostTime time_or(const core::TlsrptDateTime& time, core::HostTime fallback) {
  return time.time ? core::HostTime(std::chrono::seconds(time.time->epoch_seconds)) : fallback;
}

// The versions a report is compared with: a domain changes its policy rarely.
constexpr std::size_t kHistoryLimit = 100;

// Marks the rows of each `sts` policy with the published version its policy-string is.
void mark_policy_matches(const core::TlsrptReport& report,
                         const std::vector<core::PolicyVersion>& versions, core::HostTime at,
                         std::vector<core::TlsrptSessionRow>& rows) {
  for (std::size_t i = 0; i < report.policies.size(); ++i) {
    if (report.policies[i].type != core::TlsrptPolicyType::sts) {
      continue;
    }
    const core::PolicyMatch match =
        core::match_policy_string(report.policies[i].policy_string, versions, at);
    for (core::TlsrptSessionRow& row : rows) {
      if (row.policy_index == i) {
        row.policy_match = match.match;
      }
    }
  }
}

// What the intake needs of a domain, read from the store once per batch (an import of a
// thousand reports of one domain reads it once): whether it is hosted, and its versions.
struct DomainFacts {
  bool hosted = false;
  std::vector<core::PolicyVersion> versions;
};

class DomainLookup {
 public:
  explicit DomainLookup(store::HostingStore& store) : store_(store) {}

  // The facts of `domain`; a store error is returned, not remembered.
  store::Result<const DomainFacts*> find(const std::string& domain) {
    if (const auto known = known_.find(domain); known != known_.end()) {
      return &known->second;
    }
    auto row = store_.get_domain(domain);
    if (!row) {
      return tl::unexpected(row.error());
    }
    DomainFacts facts;
    facts.hosted = row->has_value();
    if (facts.hosted) {
      if (auto versions = store_.history(domain, kHistoryLimit); versions) {
        facts.versions = std::move(*versions);
      }
    }
    return &known_.emplace(domain, std::move(facts)).first->second;
  }

 private:
  store::HostingStore& store_;
  std::map<std::string, DomainFacts, std::less<>> known_;
};

// One request decoded and read: the report to store, or why it is kept apart.
struct Prepared {
  std::optional<store::NewReport> report;
  store::KeptApartReport apart;
  IntakeOutcome outcome;
};

Prepared keep_apart(Prepared prepared, std::string_view reason, std::string detail) {
  prepared.outcome.status = IntakeStatus::kept_apart;
  prepared.outcome.reason = std::string(reason);
  prepared.outcome.detail = detail;
  prepared.apart.reason = std::string(reason);
  prepared.apart.detail = std::move(detail);
  prepared.apart.domain = prepared.outcome.domain;
  prepared.apart.reporter = prepared.outcome.reporter;
  prepared.apart.report_id = prepared.outcome.report_id;
  prepared.report.reset();
  return prepared;
}

Prepared read_request(DomainLookup& domains, const IntakeRequest& request, core::HostTime now,
                      const IntakeOptions& options) {
  Prepared prepared;
  prepared.apart.received_at = now;
  prepared.apart.channel = request.channel;
  prepared.apart.source = request.source;
  prepared.apart.raw = kept_text(request.bytes, options.max_kept_raw);
  prepared.outcome.domain = request.claimed_domain;

  auto payload = decode_report_payload(request.bytes, options.limits);
  if (!payload && !request.apart_reason.empty()) {
    return keep_apart(std::move(prepared), request.apart_reason, request.apart_detail);
  }
  if (!payload) {
    const bool large = payload.error().code == Errc::too_large;
    return keep_apart(std::move(prepared), large ? kApartTooLarge : kApartBadCompression,
                      payload.error().message);
  }
  prepared.apart.raw = kept_text(payload->json, options.max_kept_raw);
  core::TlsrptReportLimits limits;
  limits.max_bytes = options.limits.max_output;
  auto report = core::parse_tlsrpt_report(payload->json, limits);
  if (!report && !request.apart_reason.empty()) {
    return keep_apart(std::move(prepared), request.apart_reason, request.apart_detail);
  }
  if (!report) {
    const bool large = report.error().code == Errc::too_large;
    return keep_apart(std::move(prepared), large ? kApartTooLarge : kApartNotAReport,
                      report.error().message);
  }
  prepared.outcome.reporter = report->organization_name.value_or("");
  prepared.outcome.report_id = report->report_id && !core::trim_space(*report->report_id).empty()
                                   ? std::string(core::trim_space(*report->report_id))
                                   : "sha256:" + sha256_hex(payload->json);
  const std::optional<std::string> domain = policy_domain(*report);
  if (!request.apart_reason.empty()) {
    prepared.outcome.domain = domain.value_or(request.claimed_domain);
    return keep_apart(std::move(prepared), request.apart_reason, request.apart_detail);
  }
  if (!domain && request.claimed_domain.empty()) {
    return keep_apart(std::move(prepared), kApartNoDomain,
                      "the report names no policy-domain and was not sent for a domain");
  }
  if (domain && !request.claimed_domain.empty() && *domain != request.claimed_domain) {
    return keep_apart(
        std::move(prepared), kApartDomainMismatch,
        "the report is about " + *domain + " but was sent for " + request.claimed_domain);
  }
  prepared.outcome.domain = domain.value_or(request.claimed_domain);
  auto facts = domains.find(prepared.outcome.domain);
  if (!facts) {
    prepared.outcome.status = IntakeStatus::refused;
    prepared.outcome.reason = std::string(store::errc_name(facts.error().code));
    prepared.outcome.detail = facts.error().message;
    return prepared;
  }
  if (!(*facts)->hosted) {
    std::string detail = prepared.outcome.domain + " is not a domain hosted here";
    return keep_apart(std::move(prepared), kApartNotHosted, std::move(detail));
  }

  store::NewReport item;
  store::StoredReport& stored = item.report;
  stored.domain = prepared.outcome.domain;
  stored.reporter = prepared.outcome.reporter;
  stored.report_id = prepared.outcome.report_id;
  stored.contact = report->contact_info.value_or("");
  stored.start = time_or(report->date_range.start, now);
  stored.end = time_or(report->date_range.end, stored.start);
  stored.received_at = now;
  stored.channel = request.channel;
  stored.source = request.source;
  stored.findings = findings_json(*report);
  stored.raw = std::move(payload->json);
  item.rows = core::tlsrpt_session_rows(*report);
  mark_policy_matches(*report, (*facts)->versions, stored.start, item.rows);
  for (const core::TlsrptSessionRow& row : item.rows) {
    if (!row.counted) {
      continue;
    }
    if (core::tlsrpt_row_is_failure(row.result)) {
      stored.failed += row.sessions;
      prepared.outcome.failures[row.result] += row.sessions;
    } else {
      stored.successful += row.sessions;
    }
  }
  prepared.outcome.start = stored.start;
  prepared.outcome.successful = stored.successful;
  prepared.outcome.failed = stored.failed;
  prepared.outcome.status = IntakeStatus::accepted;
  prepared.report = std::move(item);
  return prepared;
}

void count(IntakeCounters* counters, const IntakeOutcome& outcome) {
  if (counters == nullptr) {
    return;
  }
  switch (outcome.status) {
    case IntakeStatus::accepted:
      counters->accepted.fetch_add(1, std::memory_order_relaxed);
      counters->sessions_successful.fetch_add(outcome.successful, std::memory_order_relaxed);
      counters->sessions_failed.fetch_add(outcome.failed, std::memory_order_relaxed);
      return;
    case IntakeStatus::duplicate:
      counters->duplicate.fetch_add(1, std::memory_order_relaxed);
      return;
    case IntakeStatus::refused:
      counters->refused.fetch_add(1, std::memory_order_relaxed);
      return;
    case IntakeStatus::kept_apart:
      for (std::size_t i = 0; i < std::size(kIntakeApartReasons); ++i) {
        if (outcome.reason == kIntakeApartReasons[i]) {
          counters->kept_apart[i].fetch_add(1, std::memory_order_relaxed);
        }
      }
      return;
  }
}

}  // namespace

std::string intake_metrics_text(const IntakeCounters& counters) {
  std::string out;
  const auto load = [](const std::atomic<std::uint64_t>& value) {
    return value.load(std::memory_order_relaxed);
  };
  core::append_labelled_metric(out, "mtasts_host_tlsrpt_reports_total", "counter",
                               "TLS-RPT reports received, by what the intake did with them",
                               "outcome",
                               {{"accepted", load(counters.accepted)},
                                {"duplicate", load(counters.duplicate)},
                                {"refused", load(counters.refused)}});
  core::append_metric_family(out, "mtasts_host_tlsrpt_kept_apart_total", "counter",
                             "TLS-RPT reports kept apart (not counted), by reason");
  for (std::size_t i = 0; i < std::size(kIntakeApartReasons); ++i) {
    core::append_metric_sample(out, "mtasts_host_tlsrpt_kept_apart_total",
                               core::metric_label("reason", kIntakeApartReasons[i]),
                               load(counters.kept_apart[i]));
  }
  core::append_labelled_metric(out, "mtasts_host_tlsrpt_sessions_total", "counter",
                               "Sessions in accepted TLS-RPT reports, by result", "result",
                               {{"successful", load(counters.sessions_successful)},
                                {"failed", load(counters.sessions_failed)}});
  return out;
}

std::string_view to_string(IntakeStatus status) {
  switch (status) {
    case IntakeStatus::accepted:
      return "accepted";
    case IntakeStatus::duplicate:
      return "duplicate";
    case IntakeStatus::kept_apart:
      return "kept-apart";
    case IntakeStatus::refused:
      return "refused";
  }
  return "refused";
}

std::vector<IntakeOutcome> take_reports(store::HostingStore& store,
                                        const std::vector<IntakeRequest>& requests,
                                        core::HostTime now, const IntakeOptions& options,
                                        IntakeCounters* counters) {
  DomainLookup domains(store);
  std::vector<Prepared> prepared;
  prepared.reserve(requests.size());
  std::vector<store::NewReport> batch;
  std::vector<std::size_t> batch_index;
  for (const IntakeRequest& request : requests) {
    prepared.push_back(read_request(domains, request, now, options));
    Prepared& item = prepared.back();
    if (item.outcome.status == IntakeStatus::kept_apart) {
      if (auto kept = store.reports().keep_apart(item.apart); !kept) {
        item.outcome.status = IntakeStatus::refused;
        item.outcome.detail = kept.error().message;
      }
    } else if (item.report) {
      batch_index.push_back(prepared.size() - 1);
      batch.push_back(std::move(*item.report));
      item.report.reset();
    }
  }
  if (!batch.empty()) {
    auto added = store.reports().add_reports(batch);
    for (std::size_t i = 0; i < batch_index.size(); ++i) {
      IntakeOutcome& outcome = prepared[batch_index[i]].outcome;
      if (!added) {
        outcome.status = IntakeStatus::refused;
        outcome.reason = std::string(store::errc_name(added.error().code));
        outcome.detail = added.error().message;
      } else if ((*added)[i] == store::ReportAdded::duplicate) {
        outcome.status = IntakeStatus::duplicate;
      }
    }
  }
  std::vector<IntakeOutcome> outcomes;
  outcomes.reserve(prepared.size());
  for (Prepared& item : prepared) {
    count(counters, item.outcome);
    outcomes.push_back(std::move(item.outcome));
  }
  return outcomes;
}

}  // namespace mtasts::hosting
