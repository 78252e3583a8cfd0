#include "mtasts/core/base/host_port.hpp"

#include <gtest/gtest.h>

#include <string>

#include "golden.hpp"

namespace mtasts::core {
namespace {

HostPortRules rules_of(const nlohmann::json& row) {
  const std::string text = row.at("rules").get<std::string>();
  HostPortRules rules;
  rules.port = text.find('o') != std::string::npos ? PortRule::optional : PortRule::required;
  rules.default_port = row.value("default", std::uint16_t{0});
  rules.wildcard = text.find('*') != std::string::npos ? Wildcard::allowed : Wildcard::refused;
  rules.bare_ipv6 = text.find('6') != std::string::npos ? BareIpv6::allowed : BareIpv6::refused;
  return rules;
}

class HostPortGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(HostPortGolden, Case_MatchesExpectation) {
  const auto& row = GetParam();
  const auto parsed = parse_host_port(row.at("input").get<std::string>(), rules_of(row));
  if (row.at("expect").is_null()) {
    ASSERT_FALSE(parsed) << parsed->host << " " << parsed->port;
    EXPECT_EQ(parsed.error().code, Errc::invalid_value);
    EXPECT_FALSE(parsed.error().message.empty());
    return;
  }
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->host, row.at("expect").at(0).get<std::string>());
  EXPECT_EQ(parsed->port, row.at("expect").at(1).get<int>());
}

INSTANTIATE_TEST_SUITE_P(Golden, HostPortGolden,
                         ::testing::ValuesIn(mtasts::testing::load_golden("host_port.jsonl")),
                         mtasts::testing::golden_name);

TEST(HostPort, Errors_SayWhatIsWrong) {
  const HostPortRules required{};
  EXPECT_EQ(parse_host_port("h", required).error().message,
            "no port (write HOST:PORT, or [IPV6]:PORT)");
  EXPECT_EQ(parse_host_port("::1", required).error().message,
            "more than one ':' (write HOST:PORT, or [IPV6]:PORT)");
  EXPECT_EQ(parse_host_port("h:0", required).error().message,
            "port must be a number from 1 to 65535");
  EXPECT_EQ(parse_host_port("[::1", required).error().message, "unclosed '['");
  EXPECT_EQ(parse_host_port("*:80", required).error().message,
            "'*' (every interface) is not allowed here");
}

TEST(FormatHostPort, EachForm_ParsesBack) {
  EXPECT_EQ(format_host_port("192.0.2.1", 53), "192.0.2.1:53");
  EXPECT_EQ(format_host_port("2001:db8::1", 853), "[2001:db8::1]:853");
  EXPECT_EQ(format_host_port("", 443), "*:443");
  const HostPortRules listener = kListenAddress;
  for (const auto& [host, port] :
       {std::pair<std::string, std::uint16_t>{"mx.example", 25}, {"::1", 8462}, {"", 1}}) {
    EXPECT_EQ(*parse_host_port(format_host_port(host, port), listener), (HostPort{host, port}));
  }
}

}  // namespace
}  // namespace mtasts::core
