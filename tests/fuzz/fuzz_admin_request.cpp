// Fuzz target: the admin API body parsers (both, on every input), the policies made from what
// they accept, and the JSON rendered for answers and errors.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/hosting/admin_request.hpp"
#include "mtasts/core/sts/mx_pattern.hpp"

namespace {

using namespace mtasts::core;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void require_json(const std::string& text) {
  require(!nlohmann::json::parse(text, nullptr, false).is_discarded());
}

void require_patterns(const std::optional<std::vector<std::string>>& mx) {
  if (!mx) {
    return;
  }
  require(mx->size() <= kHostedMaxMx);
  for (const std::string& m : *mx) {
    const auto pattern = parse_mx_pattern(m);
    require(pattern && pattern->text() == m);  // normalised
  }
}

// A policy that passed validation renders to a body the sender's parser reads back the same.
void require_round_trip(const HostedPolicy& policy) {
  const auto parsed = parse_policy(render_hosted_policy(policy));
  require(parsed && parsed->mode == policy.mode && parsed->max_age == policy.max_age &&
          parsed->mx.size() == policy.mx.size());
}

void create(std::string_view body) {
  const auto request = parse_domain_create(body);
  if (!request) {
    require(!request.error().message.empty());
    require_json(request_error_json(request.error()));
    return;
  }
  const auto again = normalize_domain(request->domain);
  require(again && *again == request->domain);
  require_patterns(request->mx);
  require(!request->max_age || (*request->max_age >= 1 && *request->max_age <= kMaxPolicyMaxAge));
  const auto policy = policy_for_create(*request, propose_hosted_policy({"mx.example.com"}));
  if (!policy) {
    require_json(request_error_json(policy.error()));
    return;
  }
  require_round_trip(*policy);
  const HostedDomain domain = new_hosted_domain(
      request->domain, *policy, request->records.value_or(RecordMode::self), HostTime{});
  const ServiceIdentity service{
      "mta-sts.provider.example", {"192.0.2.1"}, "sts.example", 300, true, {}};
  require_json(domain_json(domain, hosted_records(domain, service)));
}

void update(std::string_view body) {
  const auto request = parse_domain_update(body);
  if (!request) {
    require(!request.error().message.empty());
    require_json(request_error_json(request.error()));
    return;
  }
  require(request->mode || request->mx || request->max_age);
  require_patterns(request->mx);
  const HostedPolicy current{PolicyMode::testing, {"mx.example.com"}, kHostedDefaultMaxAge};
  const auto policy = policy_for_update(current, *request);
  if (policy) {
    require_round_trip(*policy);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  create(body);
  update(body);
  return 0;
}
