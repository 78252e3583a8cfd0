#include "mtasts/core/base/percent_decode.hpp"

#include <gtest/gtest.h>

namespace mtasts::core {
namespace {

TEST(PercentDecode, EscapesOfEitherCase_BecomeTheirBytes) {
  EXPECT_EQ(percent_decode("a%2Eb"), "a.b");
  EXPECT_EQ(percent_decode("p%40ss%2fw%2Fd"), "p@ss/w/d");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, PlusStaysPlus) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(PercentDecode, BadEscapesAndNul_AreRefused) {
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%00"), std::nullopt);
}

}  // namespace
}  // namespace mtasts::core
