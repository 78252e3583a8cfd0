#include "mtasts/core/hosting/hosting_checks.hpp"

#include "base/ip_address.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::core {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += out.empty() ? "" : ", ";
    out += printable(item);
  }
  return out;
}

// What mta-sts.<d> should hold, for messages.
std::string wanted_target(const ServiceIdentity& service) {
  std::string out;
  if (!service.hostname.empty()) {
    out = "CNAME " + service.hostname;
  }
  if (!service.addresses.empty()) {
    out += (out.empty() ? "" : ", or ") + std::string("addresses ") + joined(service.addresses);
  }
  return out.empty() ? "the service's host name or addresses" : out;
}

// RFC 8461 §8.2: the customer's _mta-sts name is a CNAME to the record the service updates.
std::optional<CheckFinding> check_delegation(const HostedDomain& domain,
                                             const ServiceIdentity& service,
                                             const HostedObservation& observed,
                                             const std::string& record_name) {
  if (domain.records != RecordMode::delegated || service.delegation_zone.empty()) {
    return std::nullopt;
  }
  const std::string owner = delegated_record_owner(domain.name, service);
  const std::vector<std::string>& chain = observed.sts_cname_chain;
  if (chain.empty()) {
    return make_check_finding(
        CheckCode::hosted_delegation_broken, record_name,
        record_name + " is not a CNAME; publish " + record_name + " CNAME " + owner);
  }
  if (!domain_equal(chain.back(), owner)) {
    return make_check_finding(CheckCode::hosted_delegation_broken, record_name,
                              "the CNAME chain of " + record_name + " ends at " +
                                  printable(chain.back()) + ", not at " + owner);
  }
  return std::nullopt;
}

std::optional<CheckFinding> check_sts_record(const HostedDomain& domain,
                                             const std::vector<std::string>& records,
                                             const std::string& record_name) {
  std::vector<TxtStrings> rrs;
  rrs.reserve(records.size());
  for (const std::string& text : records) {
    rrs.push_back(TxtStrings{text});
  }
  const std::string& id = domain.current.id;
  const StsRecordSelection selection = select_sts_record(rrs);
  switch (selection.choice) {
    case RecordChoice::none:
      return make_check_finding(CheckCode::hosted_record_missing, record_name,
                                "no v=STSv1 TXT record at " + record_name +
                                    "; senders see no policy until \"" + sts_record_text(id) +
                                    "\" is there");
    case RecordChoice::multiple:
      // RFC 8461 §3.1: more than one record means no policy at all.
      return make_check_finding(CheckCode::hosted_record_multiple, record_name,
                                std::to_string(selection.candidates) + " v=STSv1 TXT records at " +
                                    record_name + "; keep only \"" + sts_record_text(id) + "\"");
    case RecordChoice::invalid:
      return make_check_finding(
          CheckCode::sts_record_invalid, record_name,
          "the record \"" + printable(selection.text) +
              "\" does not parse: " + selection.report.findings.first_error());
    case RecordChoice::ok:
      if (selection.report.record && selection.report.record->id != id) {
        // RFC 8461 §3.1: senders fetch the policy again only when the id changes.
        return make_check_finding(CheckCode::hosted_id_stale, record_name,
                                  "the record carries id " +
                                      printable(selection.report.record->id) +
                                      "; the current version's id is " + id);
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<CheckFinding> check_policy_host(const ServiceIdentity& service,
                                              const HostedObservation& observed,
                                              const std::string& host) {
  const std::string wanted = "; point it at the service: " + wanted_target(service);
  if (observed.policy_host_lookup_failed) {
    return make_check_finding(CheckCode::hosted_policy_host_elsewhere, host,
                              "the lookup of " + host +
                                  " failed (SERVFAIL or timeout): whether it reaches the service "
                                  "is unknown" +
                                  wanted);
  }
  const std::vector<std::string>& chain = observed.policy_host_cname_chain;
  const std::vector<std::string>& addresses = observed.policy_host_addresses;
  if (policy_host_points_at_service(service, chain, addresses)) {
    return std::nullopt;
  }
  std::string found = host;
  if (!chain.empty()) {
    found += " is a CNAME to " + printable(chain.back()) + " and";
  }
  found += addresses.empty() ? " has no address" : " resolves to " + joined(addresses);
  return make_check_finding(CheckCode::hosted_policy_host_elsewhere, host, found + wanted);
}

std::optional<CheckFinding> check_certificate(const HostedObservation& observed,
                                              const std::string& host, std::int64_t now_unix) {
  if (!observed.certificate_not_after) {
    return make_check_finding(CheckCode::hosted_cert_missing, host,
                              "the service holds no certificate for " + host +
                                  ": senders cannot fetch the policy over HTTPS (RFC 8461 §3.3)");
  }
  const std::int64_t not_after = *observed.certificate_not_after;
  const std::string at = format_utc(HostTime{std::chrono::seconds{not_after}});
  if (not_after < now_unix) {
    return make_check_finding(CheckCode::hosted_cert_expired, host,
                              "the certificate of " + host + " expired at " + at);
  }
  const std::int64_t days_left = (not_after - now_unix) / 86400;
  if (days_left < kCertExpiringDays) {
    return make_check_finding(CheckCode::hosted_cert_expiring, host,
                              "the certificate of " + host + " expires in " +
                                  std::to_string(days_left) + " day(s), at " + at);
  }
  return std::nullopt;
}

}  // namespace

bool policy_host_points_at_service(const ServiceIdentity& service,
                                   const std::vector<std::string>& cname_chain,
                                   const std::vector<std::string>& addresses) {
  if (!service.hostname.empty()) {
    for (const std::string& name : cname_chain) {
      if (domain_equal(name, service.hostname)) {
        return true;
      }
    }
  }
  if (addresses.empty()) {
    return false;
  }
  for (const std::string& address : addresses) {
    bool ours = false;
    for (const std::string& service_address : service.addresses) {
      ours = ours || same_ip_address(address, service_address);
    }
    if (!ours) {
      return false;
    }
  }
  return true;
}

std::vector<CheckFinding> hosted_findings(const HostedDomain& domain,
                                          const ServiceIdentity& service,
                                          const HostedObservation& observed,
                                          std::int64_t now_unix) {
  std::vector<CheckFinding> out;
  if (!hosted_serving(domain, HostTime{std::chrono::seconds{now_unix}})) {
    return out;
  }
  const std::string record_name = std::string(kStsRecordPrefix) + domain.name;
  if (!observed.sts_records) {
    out.push_back(make_check_finding(CheckCode::sts_record_lookup_failed, record_name,
                                     "the TXT lookup of " + record_name +
                                         " failed (SERVFAIL or timeout): senders cannot tell "
                                         "whether the domain has a policy"));
  } else {
    if (auto finding = check_delegation(domain, service, observed, record_name)) {
      out.push_back(std::move(*finding));
    }
    if (auto finding = check_sts_record(domain, *observed.sts_records, record_name)) {
      out.push_back(std::move(*finding));
    }
  }
  const std::string host = std::string(kPolicyHostPrefix) + domain.name;
  if (auto finding = check_policy_host(service, observed, host)) {
    out.push_back(std::move(*finding));
  }
  if (auto finding = check_certificate(observed, host, now_unix)) {
    out.push_back(std::move(*finding));
  }
  return out;
}

}  // namespace mtasts::core
