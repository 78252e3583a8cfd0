#include "mtasts/net/dns_update/dns_updater.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <set>
#include <string>

#include "fake_dns_update_server.hpp"
#include "mtasts/net/runtime/errc.hpp"
#include "test_loop.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using testing::FakeAnswer;
using testing::FakeDnsUpdateServer;
using testing::FakeScript;
using testing::run_until_done;

constexpr std::string_view kZone = "sts.provider.test";
constexpr std::string_view kOwner = "example.com.sts.provider.test";
constexpr std::string_view kText = "v=STSv1; id=20240101T000000";
// The fake's signed answer on the wire: length prefix 2, header 12, zone section 19 + 4, TSIG
// owner "mtasts-key" 12, type/class/TTL/RDLENGTH 10, RDATA: "hmac-sha256" 13, time 6, fudge 2,
// MAC size 2, MAC 32, original ID 2, error 2, other length 2.
constexpr std::size_t kFramedAnswer = 2 + 12 + 23 + 12 + 10 + 13 + 6 + 2 + 2 + 32 + 6;

TsigKey test_key() {
  return {"mtasts-key", "hmac-sha256", std::string(32, '\x42')};
}

FakeScript signed_script() {
  FakeScript script;
  script.key = test_key();
  return script;
}

DnsUpdateOptions options_for(std::uint16_t port, std::optional<TsigKey> key = test_key()) {
  DnsUpdateOptions options;
  options.server = "127.0.0.1";
  options.port = port;
  options.zone = std::string(kZone);
  options.key = std::move(key);
  options.timeout = std::chrono::milliseconds(1500);
  return options;
}

class DnsUpdaterTest : public ::testing::Test {
 protected:
  core::Result<void> replace(std::uint16_t port, std::optional<TsigKey> key = test_key(),
                             std::string owner = std::string(kOwner),
                             std::string text = std::string(kText)) {
    auto updater = DnsUpdater::create(io_.get_executor(), options_for(port, std::move(key)));
    EXPECT_TRUE(updater) << updater.error().message;
    return *run_until_done(io_, (*updater)->replace_txt(std::move(owner), 300, std::move(text)));
  }

  core::Result<void> remove(std::uint16_t port) {
    auto updater = DnsUpdater::create(io_.get_executor(), options_for(port));
    EXPECT_TRUE(updater) << updater.error().message;
    return *run_until_done(io_, (*updater)->remove_txt(std::string(kOwner)));
  }

  static std::string error_of(const core::Result<void>& result) {
    return result ? "" : result.error().message;
  }

  // The error's code as its name ("timeout", "invalid_value"); "" on success.
  static std::string code_of(const core::Result<void>& result) {
    return result ? "" : std::string(result.error().code.name());
  }

  asio::io_context io_;
};

TEST_F(DnsUpdaterTest, SignedAnswer_SucceedsAndRequestIsTheCoreEncoding) {
  FakeDnsUpdateServer server(io_, signed_script());
  const auto result = replace(server.port());
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(server.requests().size(), 1u);
  const testing::SeenRequest& seen = server.requests()[0];
  EXPECT_TRUE(seen.signed_request);
  EXPECT_TRUE(seen.verified);
  const std::uint16_t id = static_cast<std::uint16_t>((seen.message[0] << 8) | seen.message[1]);
  const auto expected = core::encode_update(
      {id, std::string(kZone), {core::ReplaceTxt{std::string(kOwner), 300, std::string(kText)}}});
  EXPECT_EQ(seen.unsigned_part, *expected);
}

TEST_F(DnsUpdaterTest, Remove_SendsTheRrsetDelete) {
  FakeDnsUpdateServer server(io_, signed_script());
  ASSERT_TRUE(remove(server.port()));
  ASSERT_EQ(server.requests().size(), 1u);
  const testing::SeenRequest& seen = server.requests()[0];
  EXPECT_TRUE(seen.verified);
  const std::uint16_t id = static_cast<std::uint16_t>((seen.message[0] << 8) | seen.message[1]);
  EXPECT_EQ(seen.unsigned_part,
            *core::encode_update({id, std::string(kZone), {core::DeleteTxt{std::string(kOwner)}}}));
}

TEST_F(DnsUpdaterTest, Ids_AreDrawnAtRandom) {
  FakeDnsUpdateServer server(io_, signed_script());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(replace(server.port()));
  }
  std::set<std::uint16_t> ids;
  for (const auto& seen : server.requests()) {
    ids.insert(static_cast<std::uint16_t>((seen.message[0] << 8) | seen.message[1]));
  }
  EXPECT_GE(ids.size(), 3u);  // four draws of 16 bits: a collision is very unlikely
}

TEST_F(DnsUpdaterTest, WithoutKey_SendsUnsignedAndAcceptsUnsigned) {
  FakeDnsUpdateServer server(io_, FakeScript{});
  ASSERT_TRUE(replace(server.port(), std::nullopt));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_FALSE(server.requests()[0].signed_request);
}

TEST_F(DnsUpdaterTest, BadMac_IsRefused) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::bad_mac;
  FakeDnsUpdateServer server(io_, script);
  const auto result = replace(server.port());
  const std::string error = error_of(result);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::protocol);
  EXPECT_NE(error.find("does not verify with key 'mtasts-key'"), std::string::npos) << error;
  EXPECT_NE(error.find("in zone 'sts.provider.test' via 127.0.0.1:"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, AnswerSignedWithAnotherSecret_IsRefused) {
  FakeScript script = signed_script();
  script.key->secret = std::string(32, '\x43');
  FakeDnsUpdateServer server(io_, script);
  EXPECT_NE(error_of(replace(server.port())).find("does not verify"), std::string::npos);
}

TEST_F(DnsUpdaterTest, UnsignedAnswer_IsRefusedWhenAKeyIsSet) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::unsigned_answer;
  FakeDnsUpdateServer server(io_, script);
  const std::string error = error_of(replace(server.port()));
  EXPECT_NE(error.find("(NOERROR) is not signed"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, UnsignedErrorAnswer_IsAnErrorThatQuotesIt) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::unsigned_answer;
  script.rcode = core::DnsRcode::notauth;
  FakeDnsUpdateServer server(io_, script);
  const auto result = replace(server.port());
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "refused");
  EXPECT_NE(error.find("an unsigned answer (not to be trusted) says: the server is not "
                       "authoritative for zone 'sts.provider.test'"),
            std::string::npos)
      << error;
}

TEST_F(DnsUpdaterTest, Refused_SaysWhatToCheck) {
  FakeScript script = signed_script();
  script.rcode = core::DnsRcode::refused;
  FakeDnsUpdateServer server(io_, script);
  const std::string error = error_of(replace(server.port()));
  EXPECT_NE(error.find("the server refused the update (REFUSED): is key 'mtasts-key' allowed to "
                       "update zone 'sts.provider.test'?"),
            std::string::npos)
      << error;
}

TEST_F(DnsUpdaterTest, TsigErrors_AreReported) {
  for (const auto& [tsig_error, expected] :
       std::vector<std::pair<std::uint16_t, std::string>>{{core::kTsigBadSig, "BADSIG"},
                                                          {core::kTsigBadKey, "BADKEY"},
                                                          {core::kTsigBadTime, "BADTIME"}}) {
    FakeScript script = signed_script();
    script.answer = FakeAnswer::tsig_error;
    script.rcode = core::DnsRcode::notauth;
    script.tsig_error = tsig_error;
    FakeDnsUpdateServer server(io_, script);
    const std::string error = error_of(replace(server.port()));
    EXPECT_NE(error.find(expected), std::string::npos) << error;
  }
}

TEST_F(DnsUpdaterTest, AnswerSignedOutsideFudge_IsRefused) {
  FakeScript script = signed_script();
  script.clock_offset = -1000;
  FakeDnsUpdateServer server(io_, script);
  const auto result = replace(server.port());
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "invalid_value");  // core's TSIG time check
  EXPECT_NE(error.find("are the clocks in sync?"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, WrongId_IsRefused) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::wrong_id;
  FakeDnsUpdateServer server(io_, script);
  const auto result = replace(server.port());
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "protocol");
  EXPECT_NE(error.find("is not the update's"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, NoAnswer_EndsAtTheDeadline) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::never;
  FakeDnsUpdateServer server(io_, script);
  const auto start = std::chrono::steady_clock::now();
  const auto result = replace(server.port());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "timeout");
  EXPECT_NE(error.find("no answer within 1500 ms"), std::string::npos) << error;
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500) + std::chrono::seconds(2));
}

TEST_F(DnsUpdaterTest, CloseBeforeAnswering_IsAnError) {
  FakeScript script = signed_script();
  script.answer = FakeAnswer::close_early;
  FakeDnsUpdateServer server(io_, script);
  const auto result = replace(server.port());
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "connect");
  EXPECT_NE(error.find("closed the connection"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, ConnectionRefused_IsAnError) {
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  const auto result = replace(port);
  const std::string error = error_of(result);
  EXPECT_EQ(code_of(result), "connect");
  EXPECT_NE(error.find("connecting failed"), std::string::npos) << error;
}

TEST_F(DnsUpdaterTest, OwnerOutsideZone_IsRejectedBeforeSending) {
  FakeDnsUpdateServer server(io_, signed_script());
  const std::string error = error_of(replace(server.port(), test_key(), "example.com"));
  EXPECT_NE(error.find("not inside zone 'sts.provider.test'"), std::string::npos) << error;
  EXPECT_TRUE(server.requests().empty());
}

// Fault injection: the answer cut after every possible number of octets is an error, never a
// hang or a crash; only the whole answer succeeds.
TEST_F(DnsUpdaterTest, AnswerCutAnywhere_IsAnErrorUntilComplete) {
  FakeScript script = signed_script();
  FakeDnsUpdateServer server(io_, script);
  ASSERT_TRUE(replace(server.port()));
  std::size_t cut = 0;
  for (;; ++cut) {
    script.cut_at = cut;
    server.set_script(script);
    const auto result = replace(server.port());
    if (result) {
      break;
    }
    ASSERT_LT(cut, 1000u) << "no cut point succeeded";
  }
  EXPECT_EQ(cut, kFramedAnswer);
}

// Every single-octet corruption of a signed answer is caught (by the ID check, the parser or
// the MAC), except in the length prefix, which only cuts the answer short or makes it wait.
TEST_F(DnsUpdaterTest, AnyCorruptedOctet_IsRefused) {
  FakeScript script = signed_script();
  FakeDnsUpdateServer server(io_, script);
  for (std::size_t at = 2; at < kFramedAnswer; ++at) {
    script.flip = at;
    server.set_script(script);
    EXPECT_FALSE(replace(server.port())) << "octet " << at;
  }
}

TEST_F(DnsUpdaterTest, LongText_IsSentAsSeveralStrings) {
  FakeDnsUpdateServer server(io_, signed_script());
  const std::string text = "v=STSv1; id=" + std::string(600, 'x');
  ASSERT_TRUE(replace(server.port(), test_key(), std::string(kOwner), text));
  const testing::SeenRequest& seen = server.requests().at(0);
  const std::uint16_t id = static_cast<std::uint16_t>((seen.message[0] << 8) | seen.message[1]);
  EXPECT_EQ(seen.unsigned_part,
            *core::encode_update(
                {id, std::string(kZone), {core::ReplaceTxt{std::string(kOwner), 300, text}}}));
}

TEST(DnsUpdaterCreate, RejectsBadOptions) {
  asio::io_context io;
  const auto error_of = [&](DnsUpdateOptions options) {
    auto made = DnsUpdater::create(io.get_executor(), std::move(options));
    return made ? std::string() : made.error().message;
  };
  DnsUpdateOptions options = options_for(53);
  EXPECT_EQ(error_of(options), "");
  options.server = "ns1.provider.test";
  EXPECT_NE(error_of(options).find("is not an IP address"), std::string::npos);
  options = options_for(53);
  options.server = "::1";
  EXPECT_EQ(error_of(options), "");
  options.zone = "bad..zone";
  EXPECT_NE(error_of(options).find("zone"), std::string::npos);
  options = options_for(53);
  options.key->algorithm = "hmac-md5";
  EXPECT_NE(error_of(options).find("unsupported TSIG algorithm"), std::string::npos);
  options = options_for(53);
  options.key->secret.clear();
  EXPECT_NE(error_of(options).find("empty secret"), std::string::npos);
  options = options_for(53);
  options.key->name = "bad key";
  EXPECT_NE(error_of(options).find("TSIG key name"), std::string::npos);
  options = options_for(53);
  options.timeout = std::chrono::milliseconds(0);
  EXPECT_NE(error_of(options).find("timeout"), std::string::npos);
}

}  // namespace
}  // namespace mtasts::net
