// net::Errc (net/runtime/errc.hpp): its own codes in core::Error, told apart from core's.

#include "mtasts/net/runtime/errc.hpp"

#include <gtest/gtest.h>

#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {
namespace {

TEST(NetErrc, Codes_AreNamedAndNeverEqualToCoreCodesOfTheSameValue) {
  const std::pair<Errc, std::string_view> table[] = {
      {Errc::io, "io"},           {Errc::system, "system"},     {Errc::connect, "connect"},
      {Errc::tls, "tls"},         {Errc::protocol, "protocol"}, {Errc::refused, "refused"},
      {Errc::timeout, "timeout"}, {Errc::internal, "internal"},
  };
  for (const auto& [code, name] : table) {
    const core::ErrorCode carried = code;
    EXPECT_EQ(carried.name(), name);
    EXPECT_EQ(carried.domain(), "net");
    EXPECT_EQ(carried, code);
  }
  // Errc::io and core::Errc::invalid_syntax are both 0.
  EXPECT_NE(core::ErrorCode(Errc::io), core::ErrorCode(core::Errc::invalid_syntax));
  const core::Error error{Errc::timeout, "no answer"};
  EXPECT_FALSE(error.code == core::Errc::invalid_value);
  EXPECT_EQ(core::ErrorCode(core::Errc::too_large).name(), "too_large");
  EXPECT_EQ(core::ErrorCode(core::Errc::too_large).domain(), "core");
}

TEST(NetErrc, UnreadableFiles_AreIo) {
  const auto key = read_tsig_key_file("/nonexistent/mtasts.key");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::io) << key.error().message;
  Logger log;
  const auto opened = log.open_file("/nonexistent/dir/mtasts.log");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::io) << opened.error().message;
}

}  // namespace
}  // namespace mtasts::net
