// PackedStrings and MxPatterns: the compact lists a cached policy holds its lines and mx
// patterns in.

#include "mtasts/core/base/packed_strings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mtasts/core/sts/mx_pattern.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {
namespace {

std::vector<std::string> strings_of(const PackedStrings& list) {
  return {list.begin(), list.end()};
}

TEST(PackedStrings, Default_IsEmptyWithoutBlock) {
  const PackedStrings list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0U);
  EXPECT_EQ(list.begin(), list.end());
  EXPECT_EQ(list.allocated_bytes(), 0U);
}

TEST(PackedStrings, PushBack_KeepsOrderIncludingEmptyAndLongStrings) {
  const std::vector<std::string> want{"version: STSv1",        "",
                                      std::string(254, 'a'),   std::string(255, 'b'),
                                      std::string(70000, 'c'), "x"};
  PackedStrings list;
  for (const auto& s : want) {
    list.push_back(s);
  }
  EXPECT_EQ(list.size(), want.size());
  EXPECT_FALSE(list.empty());
  EXPECT_EQ(strings_of(list), want);
}

TEST(PackedStrings, CopyAndShrink_HoldExactlyTheBytesInUse) {
  PackedStrings list;
  for (int i = 0; i < 10; ++i) {
    list.push_back("mx: mx" + std::to_string(i) + ".example.net");
  }
  const PackedStrings copy = list;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy, list);
  EXPECT_LE(copy.allocated_bytes(), list.allocated_bytes());
  list.shrink_to_fit();
  EXPECT_EQ(list.allocated_bytes(), copy.allocated_bytes());
  EXPECT_EQ(strings_of(list), strings_of(copy));
}

TEST(PackedStrings, Equality_ComparesStringsInOrder) {
  PackedStrings a;
  PackedStrings b;
  EXPECT_EQ(a, b);
  a.push_back("one");
  EXPECT_NE(a, b);
  b.push_back("one");
  EXPECT_EQ(a, b);
  a.push_back("two");
  b.push_back("tw");
  EXPECT_NE(a, b);
}

TEST(PackedStrings, ClearAndMove_LeaveEmptyLists) {
  PackedStrings a;
  a.push_back("x");
  PackedStrings b = std::move(a);
  EXPECT_EQ(strings_of(b), std::vector<std::string>{"x"});
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.allocated_bytes(), 0U);
  b.push_back("y");
  EXPECT_EQ(strings_of(b), std::vector<std::string>{"y"});
}

TEST(MxPatterns, PushBack_ReadsBackWildcardAndDomain) {
  MxPatterns mx;
  mx.push_back(MxPattern{true, "mail.protection.example.net"});
  mx.push_back(MxPatternView{false, "mx1.example.com"});
  ASSERT_EQ(mx.size(), 2U);
  std::vector<std::string> text;
  for (const MxPatternView p : mx) {
    text.push_back(p.text());
  }
  EXPECT_EQ(text, (std::vector<std::string>{"*.mail.protection.example.net", "mx1.example.com"}));
  EXPECT_EQ(*mx.begin(), (MxPatternView{true, "mail.protection.example.net"}));
}

TEST(MxPatterns, DomainStartingWithStar_NotMistakenForWildcard) {
  MxPatterns mx;
  mx.push_back(MxPattern{false, "*.odd"});
  EXPECT_EQ(*mx.begin(), (MxPatternView{false, "*.odd"}));
}

TEST(MxPatterns, ParsedPolicy_HeldInOneBlockOfItsTextSize) {
  const auto policy = parse_policy(
      "version: STSv1\nmode: enforce\nmx: mx.example.net\nmx: *.mail.protection.example.net\n"
      "max_age: 604800\n");
  ASSERT_TRUE(policy);
  // One byte of length and one of kind per pattern, a 12-byte header: no spare capacity.
  EXPECT_EQ(policy->mx.allocated_bytes(), 12U + 2 + 14 + 2 + 27);
  EXPECT_TRUE(policy->lines.empty());
}

}  // namespace
}  // namespace mtasts::core
