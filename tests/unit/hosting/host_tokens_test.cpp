#include "mtasts/hosting/host_tokens.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace mtasts::hosting {
namespace {

constexpr const char* kFile =
    "# admins\n"
    "\n"
    "alice 0123456789abcdef0123456789abcdef\n"
    "deploy-bot  fedcba9876543210fedcba9876543210\r\n";

TEST(AdminTokens, Authenticate_NamesTheTokenOrNothing) {
  auto tokens = AdminTokens::parse(kFile);
  ASSERT_TRUE(tokens) << tokens.error().message;
  EXPECT_EQ(tokens->size(), 2u);
  EXPECT_EQ(tokens->authenticate("0123456789abcdef0123456789abcdef")->name, "alice");
  EXPECT_EQ(tokens->authenticate("fedcba9876543210fedcba9876543210")->name, "deploy-bot");
  EXPECT_EQ(tokens->authenticate("0123456789abcdef0123456789abcdee"), std::nullopt);
  EXPECT_EQ(tokens->authenticate(""), std::nullopt);
  EXPECT_EQ(tokens->authenticate("alice"), std::nullopt);
}

TEST(AdminTokens, CustomerScope_ListsItsDomains_OldLinesStayOperators) {
  auto tokens = AdminTokens::parse(
      "op 0123456789abcdef0123456789abcdef\n"
      "acme 1111111111111111aaaa customer:Shop.Example,acme.example,shop.example.\n");
  ASSERT_TRUE(tokens) << tokens.error().message;
  const auto op = tokens->authenticate("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->role, AdminRole::service_operator);
  EXPECT_TRUE(op->is_operator());
  EXPECT_TRUE(op->may_access("anything.example"));
  const auto acme = tokens->authenticate("1111111111111111aaaa");
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->name, "acme");
  EXPECT_EQ(acme->role, AdminRole::customer);
  EXPECT_EQ(acme->domains, (std::vector<std::string>{"acme.example", "shop.example"}));
  EXPECT_TRUE(acme->may_access("shop.example"));
  EXPECT_FALSE(acme->may_access("other.example"));
  EXPECT_FALSE(acme->may_access("sub.shop.example"));
  EXPECT_EQ(admin_role_name(acme->role), "customer");
  EXPECT_EQ(admin_role_name(op->role), "operator");
}

TEST(AdminTokens, Errors_NameTheLine) {
  const auto error = [](const std::string& text) {
    auto tokens = AdminTokens::parse(text);
    EXPECT_FALSE(tokens);
    return tokens ? std::string() : tokens.error().message;
  };
  EXPECT_EQ(error("alice\n"), "line 1: expected NAME TOKEN [customer:DOMAIN,...]");
  EXPECT_EQ(error("a 0123456789abcdef0123 c d\n"),
            "line 1: expected NAME TOKEN [customer:DOMAIN,...]");
  EXPECT_EQ(error("a 0123456789abcdef0123 tenant:x.example\n"),
            "line 1: the third field must be customer:DOMAIN[,DOMAIN...]");
  EXPECT_EQ(error("a 0123456789abcdef0123 customer:x.example,,y.example\n"),
            "line 1: not a domain name in the customer scope: \"\"");
  EXPECT_EQ(error("a 0123456789abcdef0123 customer:\n"),
            "line 1: not a domain name in the customer scope: \"\"");
  EXPECT_NE(error("bob short\n").find("line 1: the token of bob must be 16"), std::string::npos);
  EXPECT_NE(error("b/d 0123456789abcdef0123\n").find("line 1: the name"), std::string::npos);
  EXPECT_EQ(error("a 0123456789abcdef0123\na 0123456789abcdef0124\n"),
            "line 2: the name a is given twice");
  EXPECT_EQ(error("# nothing\n"), "no token (lines of NAME TOKEN)");
}

TEST(AdminTokens, ClientToken_FirstOrNamed) {
  const std::string path = ::testing::TempDir() + "/host-tokens-test";
  {
    std::ofstream out(path);
    out << kFile;
  }
  auto first = read_client_token(path, "");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->name, "alice");
  auto named = read_client_token(path, "deploy-bot");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->token, "fedcba9876543210fedcba9876543210");
  EXPECT_FALSE(read_client_token(path, "carol"));
  EXPECT_FALSE(read_client_token(path + ".missing", ""));
  auto read = read_admin_tokens(path);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->tokens.authenticate("0123456789abcdef0123456789abcdef")->name, "alice");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mtasts::hosting
