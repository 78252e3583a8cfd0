// The DNS records of a hosted domain (docs/hosting.md "The model").

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::core {
namespace {

std::string_view without_root_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return name;
}

}  // namespace

std::string delegated_record_owner(std::string_view domain, const ServiceIdentity& service) {
  return std::string(without_root_dot(domain)) + "." +
         std::string(without_root_dot(service.delegation_zone));
}

std::string sts_record_text(std::string_view id) {
  return "v=STSv1; id=" + std::string(id);
}

std::string tlsrpt_record_owner(std::string_view domain) {
  return "_smtp._tls." + std::string(without_root_dot(domain));
}

std::string tlsrpt_record_text(std::string_view domain, const ServiceIdentity& service) {
  const std::string name(without_root_dot(domain));
  std::string uris;
  if (service.report_https) {
    uris = "https://" + std::string(kPolicyHostPrefix) + name + "/tlsrpt";
  }
  if (!service.report_mail_domain.empty()) {
    uris += (uris.empty() ? "mailto:" : ",mailto:") + name + "@" +
            std::string(without_root_dot(service.report_mail_domain));
  }
  return uris.empty() ? std::string() : "v=TLSRPTv1; rua=" + uris;
}

std::vector<DnsRecordSpec> hosted_records(const HostedDomain& domain,
                                          const ServiceIdentity& service) {
  const std::string name(without_root_dot(domain.name));
  const std::uint32_t ttl = service.record_ttl;
  std::vector<DnsRecordSpec> out;
  // RFC 8461 §8.2: the policy host points at the provider, by CNAME or by its addresses.
  const std::string policy_host = std::string(kPolicyHostPrefix) + name;
  if (!service.hostname.empty()) {
    out.push_back({policy_host, "CNAME", std::string(without_root_dot(service.hostname)), ttl});
  } else {
    for (const std::string& address : service.addresses) {
      const bool v6 = address.find(':') != std::string::npos;
      out.push_back({policy_host, v6 ? "AAAA" : "A", address, ttl});
    }
  }
  const std::string record_name = std::string(kStsRecordPrefix) + name;
  const std::string text = sts_record_text(domain.current.id);
  if (domain.records == RecordMode::delegated && !service.delegation_zone.empty()) {
    // RFC 8461 §8.2: the customer's _mta-sts name is a CNAME to a record the provider updates.
    const std::string owner = delegated_record_owner(name, service);
    out.push_back({record_name, "CNAME", owner, ttl});
    out.push_back({owner, "TXT", text, ttl, true});
  } else {
    out.push_back({record_name, "TXT", text, ttl});
  }
  if (std::string tlsrpt = tlsrpt_record_text(name, service); !tlsrpt.empty()) {
    out.push_back({tlsrpt_record_owner(name), "TXT", std::move(tlsrpt), ttl});
  }
  return out;
}

}  // namespace mtasts::core
