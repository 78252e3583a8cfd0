// The JSON of the admin API's responses (admin_request.hpp).

#include <nlohmann/json.hpp>

#include "mtasts/core/hosting/admin_request.hpp"

namespace mtasts::core {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& value) {
  // replace: text from a request that is not UTF-8 must not make the error answer throw.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json record_json(const DnsRecordSpec& record) {
  Json out = Json::object();
  out["owner"] = record.owner;
  out["type"] = record.type;
  out["value"] = record.value;
  out["ttl"] = record.ttl;
  out["managed_by_service"] = record.managed_by_service;
  return out;
}

}  // namespace

std::string domain_json(const HostedDomain& domain, const std::vector<DnsRecordSpec>& records) {
  const HostedPolicy& policy = domain.current.policy;
  Json out = Json::object();
  out["domain"] = domain.name;
  out["state"] = std::string(hosted_state_name(domain.state));
  out["records_mode"] = std::string(record_mode_name(domain.records));
  out["id"] = domain.current.id;
  out["mode"] = std::string(mode_name(policy.mode));
  out["mx"] = policy.mx;
  out["max_age"] = policy.max_age;
  out["created_at"] = format_utc(domain.created_at);
  out["updated_at"] = format_utc(domain.updated_at);
  if (domain.serve_until) {
    out["serve_until"] = format_utc(*domain.serve_until);
  }
  out["policy"] = render_hosted_policy(policy);
  Json list = Json::array();
  for (const DnsRecordSpec& record : records) {
    list.push_back(record_json(record));
  }
  out["records"] = std::move(list);
  return dump(out);
}

std::string request_error_json(const RequestError& error) {
  Json inner = Json::object();
  inner["field"] = error.field;
  inner["message"] = error.message;
  Json out = Json::object();
  out["error"] = std::move(inner);
  return dump(out);
}

}  // namespace mtasts::core
