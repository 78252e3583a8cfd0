// Golden tests for the "_mta-sts" and "_smtp._tls" TXT records: one row per CONFORMANCE.md
// test case in tests/testdata/golden/{sts_record,sts_selection,tlsrpt_record,
// tlsrpt_selection}.jsonl.

#include <algorithm>

#include "golden.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using mtasts::testing::sorted_strings;
using nlohmann::json;

std::vector<std::string> codes(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) {
    out.push_back(f.code);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_findings(const Findings& findings, const json& expect) {
  EXPECT_EQ(codes(findings.errors), sorted_strings(expect.at("errors")));
  if (expect.contains("warnings")) {
    EXPECT_EQ(codes(findings.warnings), sorted_strings(expect.at("warnings")));
  }
  for (const auto& f : findings.errors) {
    EXPECT_FALSE(f.message.empty()) << f.code;
  }
}

std::vector<TxtStrings> rrs_of(const json& input) {
  return input.get<std::vector<TxtStrings>>();
}

std::string_view choice_name(RecordChoice choice) {
  switch (choice) {
    case RecordChoice::none:
      return "none";
    case RecordChoice::multiple:
      return "multiple";
    case RecordChoice::invalid:
      return "invalid";
    case RecordChoice::ok:
      return "ok";
  }
  return "?";
}

class StsRecordGolden : public ::testing::TestWithParam<json> {};

TEST_P(StsRecordGolden, LintStsRecord_GoldenInput_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const StsRecordReport report = lint_sts_record(row.at("input").get<std::string>());
  ASSERT_EQ(report.record.has_value(), expect.at("valid").get<bool>());
  EXPECT_EQ(report.findings.ok(), expect.at("valid").get<bool>());
  expect_findings(report.findings, expect);
  if (report.record) {
    EXPECT_EQ(report.record->id, expect.at("id").get<std::string>());
    if (expect.contains("extensions")) {
      json ext = json::object();
      for (const auto& [k, v] : report.record->extensions) {
        ext[k] = v;
      }
      EXPECT_EQ(ext, expect.at("extensions"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, StsRecordGolden,
                         ::testing::ValuesIn(load_golden("sts_record.jsonl")), golden_name);

class StsSelectionGolden : public ::testing::TestWithParam<json> {};

TEST_P(StsSelectionGolden, SelectStsRecord_GoldenAnswer_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const StsRecordSelection sel = select_sts_record(rrs_of(row.at("input")));
  EXPECT_EQ(choice_name(sel.choice), expect.at("choice").get<std::string>());
  if (expect.contains("id")) {
    ASSERT_TRUE(sel.report.record);
    EXPECT_EQ(sel.report.record->id, expect.at("id").get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, StsSelectionGolden,
                         ::testing::ValuesIn(load_golden("sts_selection.jsonl")), golden_name);

class TlsrptRecordGolden : public ::testing::TestWithParam<json> {};

TEST_P(TlsrptRecordGolden, LintTlsrptRecord_GoldenInput_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const TlsrptRecordReport report = lint_tlsrpt_record(row.at("input").get<std::string>());
  ASSERT_EQ(report.record.has_value(), expect.at("valid").get<bool>());
  expect_findings(report.findings, expect);
  if (report.record) {
    EXPECT_EQ(json(report.record->rua), expect.at("rua"));
    std::vector<std::string> uris;
    std::vector<std::string> targets;
    for (const auto& e : report.record->endpoints) {
      uris.push_back(e.uri);
      targets.push_back(e.target);
    }
    EXPECT_EQ(json(uris), expect.at("endpoints"));
    if (expect.contains("targets")) {
      EXPECT_EQ(json(targets), expect.at("targets"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, TlsrptRecordGolden,
                         ::testing::ValuesIn(load_golden("tlsrpt_record.jsonl")), golden_name);

class TlsrptSelectionGolden : public ::testing::TestWithParam<json> {};

TEST_P(TlsrptSelectionGolden, SelectTlsrptRecord_GoldenAnswer_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const TlsrptRecordSelection sel = select_tlsrpt_record(rrs_of(row.at("input")));
  EXPECT_EQ(choice_name(sel.choice), expect.at("choice").get<std::string>());
  if (expect.contains("rua")) {
    ASSERT_TRUE(sel.report.record);
    EXPECT_EQ(json(sel.report.record->rua), expect.at("rua"));
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, TlsrptSelectionGolden,
                         ::testing::ValuesIn(load_golden("tlsrpt_selection.jsonl")), golden_name);

}  // namespace
}  // namespace mtasts::core
