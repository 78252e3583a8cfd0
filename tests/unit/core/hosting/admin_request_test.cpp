// Admin API bodies: the golden table of tests/testdata/golden/admin_request.jsonl (every error
// path with the field it names), the limits that do not fit a JSON line, the policies made from
// requests, and the response JSON.

#include "mtasts/core/hosting/admin_request.hpp"

#include <string>
#include <vector>

#include "golden.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using nlohmann::json;
using std::chrono::seconds;

// The policy fields a create and an update both carry, those present only.
template <class Request>
json policy_json(const Request& v) {
  json out = json::object();
  if (v.mode) {
    out["mode"] = std::string(mode_name(*v.mode));
  }
  if (v.mx) {
    out["mx"] = *v.mx;
  }
  if (v.max_age) {
    out["max_age"] = *v.max_age;
  }
  return out;
}

// `got` is `want`, or (want nullopt) an error naming `field`.
void expect_policy(const tl::expected<HostedPolicy, RequestError>& got,
                   const std::optional<HostedPolicy>& want, const std::string& field) {
  if (want) {
    ASSERT_TRUE(got) << got.error().field << ": " << got.error().message;
    EXPECT_EQ(*got, *want);
  } else {
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().field, field);
  }
}

json value_json(const DomainCreate& v) {
  json out = policy_json(v);
  out["domain"] = v.domain;
  if (v.records) {
    out["records"] = std::string(record_mode_name(*v.records));
  }
  return out;
}

json value_json(const DomainUpdate& v) {
  return policy_json(v);
}

template <class T>
void expect_outcome(const tl::expected<T, RequestError>& got, const json& expect) {
  if (expect.at("ok").get<bool>()) {
    ASSERT_TRUE(got) << got.error().field << ": " << got.error().message;
    EXPECT_EQ(value_json(*got), expect.at("value"));
  } else {
    ASSERT_FALSE(got) << value_json(*got).dump();
    EXPECT_EQ(got.error().field, expect.at("field").get<std::string>()) << got.error().message;
    EXPECT_FALSE(got.error().message.empty());
  }
}

class AdminRequestGolden : public ::testing::TestWithParam<json> {};

TEST_P(AdminRequestGolden, ParseBody_GoldenInput_MatchesExpectation) {
  const json& row = GetParam();
  const std::string body = row.at("input").get<std::string>();
  if (row.at("parser") == "create") {
    expect_outcome(parse_domain_create(body), row.at("expect"));
  } else {
    expect_outcome(parse_domain_update(body), row.at("expect"));
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, AdminRequestGolden,
                         ::testing::ValuesIn(load_golden("admin_request.jsonl")), golden_name);

// --- limits ----------------------------------------------------------------------------------

TEST(AdminRequest, ParseDomainCreate_BodyAtLimit_Accepted) {
  std::string body = R"({"domain":"example.com"})";
  body.append(kMaxAdminBodySize - body.size(), ' ');
  ASSERT_EQ(body.size(), kMaxAdminBodySize);
  EXPECT_TRUE(parse_domain_create(body));
}

TEST(AdminRequest, ParseDomainCreate_BodyOverLimit_BodyError) {
  std::string body = R"({"domain":"example.com"})";
  body.append(kMaxAdminBodySize + 1 - body.size(), ' ');
  for (const auto& error : {parse_domain_create(body).error(), parse_domain_update(body).error()}) {
    EXPECT_EQ(error.field, "");
    EXPECT_NE(error.message.find("65536"), std::string::npos) << error.message;
  }
}

TEST(AdminRequest, ParseDomainCreate_InvalidUtf8_BodyError) {
  const auto got = parse_domain_create(
      "{\"domain\":\"ex\xff"
      "ample.com\"}");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().field, "");
  EXPECT_NE(got.error().message.find("not valid JSON (at byte"), std::string::npos)
      << got.error().message;
}

TEST(AdminRequest, ParseDomainCreate_DeepNesting_RefusedWithoutCrash) {
  const std::string open(30000, '[');
  EXPECT_EQ(parse_domain_create(open).error().field, "");
  const std::string nested =
      R"({"domain":"example.com","x":)" + open + std::string(30000, ']') + "}";
  EXPECT_EQ(parse_domain_create(nested).error().field, "x");
}

TEST(AdminRequest, ParseDomainCreate_FirstProblemInBodyOrder_Reported) {
  EXPECT_EQ(parse_domain_create(R"({"mode":"x","extra":1,"domain":"example.com"})").error().field,
            "mode");
  EXPECT_EQ(parse_domain_create(R"({"extra":1,"mode":"x"})").error().field, "extra");
}

TEST(AdminRequest, ParseDomainCreate_ErrorMessages_SayWhatIsExpected) {
  EXPECT_NE(parse_domain_create(R"({"domain":"example.com","bogus":1})")
                .error()
                .message.find("domain, mode, mx, max_age or records"),
            std::string::npos);
  EXPECT_NE(parse_domain_create(R"({"domain":"example.com","max_age":1.5})")
                .error()
                .message.find("without fraction"),
            std::string::npos);
  EXPECT_NE(parse_domain_update("{}").error().message.find("at least one"), std::string::npos);
}

// --- policies from requests ------------------------------------------------------------------

TEST(AdminRequest, PolicyForCreate_Table_RequestOverProposal) {
  const HostedPolicy proposed = propose_hosted_policy({"mx1.example.com", "mx2.example.com"});
  struct Case {
    std::string name;
    std::string body;
    HostedPolicy proposed;
    std::optional<HostedPolicy> want;  // nullopt: refused
    std::string field;
  };
  const std::vector<Case> cases = {
      {"proposal as is", R"({"domain":"example.com"})", proposed, proposed, ""},
      {"request mx and mode win",
       R"({"domain":"example.com","mode":"enforce","mx":["a.example","a.example"],"max_age":86400})",
       proposed, HostedPolicy{PolicyMode::enforce, {"a.example"}, 86400}, ""},
      {"nothing proposed, none named", R"({"domain":"example.com"})", propose_hosted_policy({""}),
       std::nullopt, "mx"},
      {"nothing proposed, mode none", R"({"domain":"example.com","mode":"none"})",
       propose_hosted_policy({}), HostedPolicy{PolicyMode::none, {}, kHostedDefaultMaxAge}, ""},
      {"empty mx named for enforce", R"({"domain":"example.com","mode":"enforce","mx":[]})",
       proposed, std::nullopt, "mx"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto request = parse_domain_create(c.body);
    ASSERT_TRUE(request) << request.error().message;
    const auto got = policy_for_create(*request, c.proposed);
    expect_policy(got, c.want, c.field);
  }
}

TEST(AdminRequest, PolicyForCreate_NothingProposed_MessageSaysNameThem) {
  const auto request = parse_domain_create(R"({"domain":"example.com"})");
  const auto got = policy_for_create(*request, propose_hosted_policy({}));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("could be proposed"), std::string::npos)
      << got.error().message;
}

TEST(AdminRequest, PolicyForUpdate_Table_MembersOverCurrent) {
  const HostedPolicy current{PolicyMode::testing, {"mx.example.com"}, 604800};
  const HostedPolicy none{PolicyMode::none, {}, 86400};
  struct Case {
    std::string name;
    HostedPolicy current;
    std::string body;
    std::optional<HostedPolicy> want;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"mode only", current, R"({"mode":"enforce"})",
       HostedPolicy{PolicyMode::enforce, {"mx.example.com"}, 604800}, ""},
      {"max_age only", current, R"({"max_age":86400})",
       HostedPolicy{PolicyMode::testing, {"mx.example.com"}, 86400}, ""},
      {"mx replaced", current, R"({"mx":["b.example","a.example"]})",
       HostedPolicy{PolicyMode::testing, {"b.example", "a.example"}, 604800}, ""},
      {"enforce from none needs mx", none, R"({"mode":"enforce"})", std::nullopt, "mx"},
      {"mx emptied under testing", current, R"({"mx":[]})", std::nullopt, "mx"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto request = parse_domain_update(c.body);
    ASSERT_TRUE(request) << request.error().message;
    const auto got = policy_for_update(c.current, *request);
    expect_policy(got, c.want, c.field);
  }
}

// --- responses -------------------------------------------------------------------------------

HostTime at_unix(std::int64_t t) {
  return HostTime{seconds{t}};
}

TEST(AdminRequest, DomainJson_ActiveDomain_AllMembersInOrder) {
  const HostedDomain d = new_hosted_domain(
      "example.com", HostedPolicy{PolicyMode::enforce, {"mx.example.com"}, 604800},
      RecordMode::delegated, at_unix(1741064767));  // 2025-03-04T05:06:07Z
  const ServiceIdentity service{
      "mta-sts.provider.example", {}, "sts.provider.example", 300, true, {}};
  const std::vector<DnsRecordSpec> records = hosted_records(d, service);
  const std::string text = domain_json(d, records);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto parsed = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [key, value] : parsed.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"domain", "state", "records_mode", "id", "mode", "mx",
                                      "max_age", "created_at", "updated_at", "policy", "records"}));
  EXPECT_EQ(parsed["domain"], "example.com");
  EXPECT_EQ(parsed["state"], "active");
  EXPECT_EQ(parsed["records_mode"], "delegated");
  EXPECT_EQ(parsed["id"], "20250304050607");
  EXPECT_EQ(parsed["mode"], "enforce");
  EXPECT_EQ(parsed["mx"], nlohmann::ordered_json::array({"mx.example.com"}));
  EXPECT_EQ(parsed["max_age"], 604800);
  EXPECT_EQ(parsed["created_at"], "2025-03-04T05:06:07Z");
  EXPECT_EQ(parsed["updated_at"], "2025-03-04T05:06:07Z");
  EXPECT_EQ(parsed["policy"], render_hosted_policy(d.current.policy));
  ASSERT_EQ(parsed["records"].size(), records.size());
  const auto& txt = parsed["records"][2];
  EXPECT_EQ(txt["owner"], "example.com.sts.provider.example");
  EXPECT_EQ(txt["type"], "TXT");
  EXPECT_EQ(txt["value"], "v=STSv1; id=20250304050607");
  EXPECT_EQ(txt["ttl"], 300);
  EXPECT_EQ(txt["managed_by_service"], true);
  EXPECT_EQ(parsed["records"][0]["managed_by_service"], false);
}

TEST(AdminRequest, DomainJson_Removing_ServeUntilPresent) {
  const HostedDomain d = new_hosted_domain(
      "example.com", HostedPolicy{PolicyMode::testing, {"mx.example.com"}, 604800},
      RecordMode::self, at_unix(0));
  const HostedDomain removed = *begin_hosted_removal(d, at_unix(86400));
  const auto parsed = json::parse(domain_json(removed, {}));
  EXPECT_EQ(parsed["state"], "removing");
  EXPECT_EQ(parsed["mode"], "none");
  EXPECT_EQ(parsed["mx"], json::array());
  EXPECT_EQ(parsed["serve_until"], "1970-01-09T00:00:00Z");
  EXPECT_EQ(parsed["records"], json::array());
  EXPECT_EQ(parsed["policy"], "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n");
  EXPECT_FALSE(json::parse(domain_json(d, {})).contains("serve_until"));
}

TEST(AdminRequest, RequestErrorJson_Error_ExactShape) {
  EXPECT_EQ(request_error_json(RequestError{"mx[1]", "bad \"x\""}),
            R"({"error":{"field":"mx[1]","message":"bad \"x\""}})");
}

TEST(AdminRequest, RequestErrorJson_NotUtf8_ReplacedNotThrown) {
  const std::string text = request_error_json(RequestError{"\xff", "a\xc3"});
  const auto parsed = json::parse(text);
  EXPECT_EQ(parsed["error"]["field"], "\xEF\xBF\xBD");
}

TEST(AdminRequest, RequestErrorJson_FromParser_RoundTrips) {
  const auto got = parse_domain_create(R"({"domain":"example.com","mx":["ok.example","b@d"]})");
  ASSERT_FALSE(got);
  const auto parsed = json::parse(request_error_json(got.error()));
  EXPECT_EQ(parsed["error"]["field"], "mx[1]");
  EXPECT_EQ(parsed["error"]["message"], got.error().message);
}

}  // namespace
}  // namespace mtasts::core
