#include "mtasts/net/smtp/smtp_server.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "smtp_client.hpp"
#include "test_loop.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::SmtpClient;
using Replies = std::vector<std::string>;

// Refuses recipients starting with "bad", throws for "throw"; delivers, failing recipients starting
// with "temp" temporarily; "block@" in a recipient's check waits until released (or 10 s).
class RecordingHandler final : public SmtpHandler {
 public:
  explicit RecordingHandler(asio::any_io_executor executor) : gate_(executor) {}

  asio::awaitable<RecipientVerdict> check_recipient(std::string address) override {
    if (address.rfind("block", 0) == 0) {
      ++blocked;
      gate_.expires_after(10s);
      boost::system::error_code ec;
      co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (address.rfind("throw", 0) == 0) {
      throw std::runtime_error("check failed");
    }
    if (address.rfind("bad", 0) == 0) {
      co_return RecipientVerdict{core::Verdict::permanent, std::nullopt};
    }
    co_return RecipientVerdict{core::Verdict::accept, std::nullopt};
  }

  asio::awaitable<std::vector<DeliveryVerdict>> deliver(SmtpEnvelope envelope) override {
    std::vector<DeliveryVerdict> verdicts;
    for (const std::string& rcpt : envelope.recipients) {
      verdicts.push_back(
          {rcpt.rfind("temp", 0) == 0 ? core::Verdict::temporary : core::Verdict::accept,
           std::nullopt});
    }
    delivered.push_back(std::move(envelope));
    co_return verdicts;
  }

  void release() { gate_.cancel(); }

  std::vector<SmtpEnvelope> delivered;
  int blocked = 0;

 private:
  asio::steady_timer gate_;
};

SmtpServerOptions small_options() {
  SmtpServerOptions options;
  options.hostname = "mx.test";
  options.limits.max_message_bytes = 1000;
  return options;
}

class SmtpServerTest : public ::testing::Test {
 protected:
  void start(SmtpServerOptions options = small_options(),
             SmtpProtocol protocol = SmtpProtocol::smtp) {
    server_ = std::make_unique<SmtpServer>(io_.get_executor(), handler_, options, log_);
    auto port = server_->listen_tcp("127.0.0.1", 0, protocol);
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    server_->start();
  }

  template <class T>
  T run(asio::awaitable<T> work) {
    auto result = testing::run_until_done(io_, std::move(work));
    EXPECT_TRUE(result.has_value()) << "the test coroutine did not finish";
    return result.value_or(T{});
  }

  asio::awaitable<SmtpClient> connected() {
    SmtpClient client(io_.get_executor());
    const bool ok = co_await client.connect_tcp(port_);
    EXPECT_TRUE(ok);
    co_return client;
  }

  // Sends `bytes` on a new connection; the first `count` replies, the greeting included.
  Replies exchange(std::string bytes, std::size_t count) {
    return run([this, bytes = std::move(bytes), count]() -> asio::awaitable<Replies> {
      auto client = co_await connected();
      co_await client.send(bytes);
      co_return co_await client.replies(count);
    }());
  }

  asio::io_context io_;
  RecordingHandler handler_{io_.get_executor()};
  Logger log_{LogLevel::error};
  std::unique_ptr<SmtpServer> server_;
  std::uint16_t port_ = 0;
};

const std::string kEhlo =
    "250-mx.test\n250-PIPELINING\n250-SIZE 1000\n250-8BITMIME\n250 ENHANCEDSTATUSCODES";

TEST_F(SmtpServerTest, Transaction_DeliversTheMessageToTheHandler) {
  start();
  const Replies replies = run([this]() -> asio::awaitable<Replies> {
    auto client = co_await connected();
    Replies out = co_await client.replies(1);
    for (const char* command :
         {"EHLO client.example\r\n", "MAIL FROM:<a@b.example>\r\n", "RCPT TO:<r@mx.test>\r\n",
          "DATA\r\n", "Subject: t\r\n\r\n..dot\r\n.\r\n", "QUIT\r\n"}) {
      co_await client.send(command);
      Replies got = co_await client.replies(1);
      out.insert(out.end(), got.begin(), got.end());
    }
    const bool closed = co_await client.wait_closed(5s);
    EXPECT_TRUE(closed);
    co_return out;
  }());
  EXPECT_EQ(replies,
            (Replies{"220 mx.test ESMTP", kEhlo, "250 2.1.0 Ok", "250 2.1.5 Ok",
                     "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok", "221 2.0.0 Bye"}));
  ASSERT_EQ(handler_.delivered.size(), 1U);
  const SmtpEnvelope& e = handler_.delivered[0];
  EXPECT_EQ(e.helo, "client.example");
  EXPECT_EQ(e.peer, "127.0.0.1");
  EXPECT_EQ(e.mail_from, "a@b.example");
  EXPECT_EQ(e.recipients, (std::vector<std::string>{"r@mx.test"}));
  EXPECT_EQ(e.message, "Subject: t\r\n\r\n.dot\r\n");
  EXPECT_TRUE(testing::drive(io_, [this] { return server_->stats().active == 0; }));
  EXPECT_EQ(server_->stats().messages, 1U);
  EXPECT_EQ(server_->stats().accepted, 1U);
}

TEST_F(SmtpServerTest, PipelinedCommands_AreAnsweredInOrder) {
  start();
  const Replies replies = exchange(
      "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bad@mx.test>\r\nRCPT TO:<r@mx.test>\r\nDATA\r\n"
      "m\r\n.\r\nNOOP\r\nFOO\r\nQUIT\r\n",
      10);
  EXPECT_EQ(replies, (Replies{"220 mx.test ESMTP", kEhlo, "250 2.1.0 Ok",
                              "550 5.1.1 Recipient address rejected: User unknown", "250 2.1.5 Ok",
                              "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok", "250 2.0.0 Ok",
                              "500 5.5.2 Error: command not recognized", "221 2.0.0 Bye"}));
  EXPECT_EQ(server_->stats().rejected_recipients, 1U);
  EXPECT_TRUE(testing::drive(io_, [this] { return server_->stats().active == 0; }));
  EXPECT_EQ(server_->stats().errors, 1U);
}

TEST_F(SmtpServerTest, OversizedMessage_IsReadToItsEndThenRefused) {
  start();
  std::string body;
  for (int i = 0; i < 30; ++i) {
    body += std::string(98, 'y') + "\r\n";
  }
  const Replies replies = exchange(
      "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\n"
      "DATA\r\n" +
          body + ".\r\nNOOP\r\n",
      7);
  ASSERT_EQ(replies.size(), 7U);
  EXPECT_EQ(replies[5], "552 5.3.4 Error: message file too big");
  EXPECT_EQ(replies[6], "250 2.0.0 Ok");
  EXPECT_TRUE(handler_.delivered.empty());
}

TEST_F(SmtpServerTest, HandlerException_ClosesOnlyThatConnection) {
  start();
  const auto result = run([this]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto other = co_await connected();
    (void)co_await other.replies(1);
    auto victim = co_await connected();
    co_await victim.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<throw@mx.test>\r\n");
    const bool closed = co_await victim.wait_closed(5s);
    co_await other.send("NOOP\r\n");
    Replies replies = co_await other.replies(1);
    co_return std::pair{closed, replies};
  }());
  EXPECT_TRUE(result.first);
  EXPECT_EQ(result.second, (Replies{"250 2.0.0 Ok"}));
}

TEST_F(SmtpServerTest, TooManyErrors_Closes) {
  start();
  const auto result = run([this]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto client = co_await connected();
    std::string junk;
    for (int i = 0; i < 10; ++i) {
      junk += "JUNK\r\n";
    }
    co_await client.send(junk);
    Replies replies = co_await client.replies(12);
    const bool closed = co_await client.wait_closed(5s);
    co_return std::pair{closed, replies};
  }());
  EXPECT_TRUE(result.first);
  ASSERT_EQ(result.second.size(), 12U);
  EXPECT_EQ(result.second.back(), "421 4.7.0 mx.test Error: too many errors");
  EXPECT_TRUE(testing::drive(io_, [this] { return server_->stats().active == 0; }));
  EXPECT_EQ(server_->stats().errors, 10U);
}

TEST_F(SmtpServerTest, SilentClient_Gets421AtTheIdleDeadline) {
  auto options = small_options();
  options.idle_timeout = 200ms;
  start(options);
  const auto started = std::chrono::steady_clock::now();
  const Replies replies = run([this]() -> asio::awaitable<Replies> {
    auto client = co_await connected();
    Replies out = co_await client.replies(2);
    const bool closed = co_await client.wait_closed(5s);
    EXPECT_TRUE(closed);
    co_return out;
  }());
  EXPECT_EQ(replies, (Replies{"220 mx.test ESMTP", "421 4.4.2 mx.test Error: timeout exceeded"}));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 190ms);
  EXPECT_EQ(server_->stats().timeouts, 1U);
}

TEST_F(SmtpServerTest, TrickledMessage_IsCutAtTheDataDeadline) {
  auto options = small_options();
  options.idle_timeout = 300ms;
  options.data_timeout = 600ms;
  start(options);
  const auto started = std::chrono::steady_clock::now();
  const bool closed = run([this]() -> asio::awaitable<bool> {
    auto client = co_await connected();
    co_await client.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<r@mx.test>\r\nDATA\r\n");
    (void)co_await client.replies(5);
    for (int i = 0; i < 40; ++i) {
      co_await testing::pause(100ms);  // every read within idle_timeout
      const bool sent = co_await client.send("x");
      if (!sent) {
        break;
      }
    }
    co_return co_await client.wait_closed(2s);
  }());
  EXPECT_TRUE(closed);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server_->stats().timeouts, 1U);
  EXPECT_TRUE(handler_.delivered.empty());
}

TEST_F(SmtpServerTest, TrickledCommand_IsCutAtTheIdleDeadlineOfThePreviousReply) {
  auto options = small_options();
  options.idle_timeout = 300ms;
  start(options);
  const auto started = std::chrono::steady_clock::now();
  const bool closed = run([this]() -> asio::awaitable<bool> {
    auto client = co_await connected();
    (void)co_await client.replies(1);
    // A send after the server closed fails; the client stops there (a further write on the
    // broken socket would wait for a readiness that never comes).
    for (int i = 0; i < 30; ++i) {
      co_await testing::pause(50ms);
      const bool sent = co_await client.send("N");
      if (!sent) {
        break;
      }
    }
    co_return co_await client.wait_closed(2s);
  }());
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(SmtpServerTest, AtTheLimit_TheLeastRecentlyActiveIdleConnectionMakesRoom) {
  auto options = small_options();
  options.max_connections = 2;
  start(options);
  const auto result = run([this]() -> asio::awaitable<std::pair<bool, Replies>> {
    auto first = co_await connected();
    (void)co_await first.replies(1);
    auto second = co_await connected();
    (void)co_await second.replies(1);
    co_await second.send("NOOP\r\n");  // the second is now the more recently active
    (void)co_await second.replies(1);
    auto third = co_await connected();
    Replies greeting = co_await third.replies(1);
    const bool first_closed = co_await first.wait_closed(5s);
    co_await second.send("NOOP\r\n");
    Replies got = co_await second.replies(1);
    greeting.insert(greeting.end(), got.begin(), got.end());
    co_return std::pair{first_closed, greeting};
  }());
  EXPECT_TRUE(result.first);
  EXPECT_EQ(result.second, (Replies{"220 mx.test ESMTP", "250 2.0.0 Ok"}));
  EXPECT_EQ(server_->stats().evicted, 1U);
}

TEST_F(SmtpServerTest, AtTheLimitWithEveryConnectionBusy_TheNewOneIsClosed) {
  auto options = small_options();
  options.max_connections = 1;
  start(options);
  const bool refused = run([this]() -> asio::awaitable<bool> {
    auto busy = co_await connected();
    co_await busy.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<block@mx.test>\r\n");
    (void)co_await busy.replies(3);
    auto late = co_await connected();
    const bool closed = co_await late.wait_closed(5s);
    handler_.release();
    co_return closed&& late.closed();
  }());
  EXPECT_TRUE(refused);
  EXPECT_EQ(server_->stats().rejected, 1U);
}

TEST_F(SmtpServerTest, Drain_Sends421ToIdleAndFinishesBusyConnections) {
  start();
  const auto result = run([this]() -> asio::awaitable<std::pair<Replies, Replies>> {
    auto idle = co_await connected();
    (void)co_await idle.replies(1);
    auto busy = co_await connected();
    co_await busy.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<block@mx.test>\r\n");
    (void)co_await busy.replies(3);
    while (handler_.blocked == 0) {
      co_await testing::pause(5ms);
    }
    asio::co_spawn(io_, server_->drain(10s), asio::detached);
    Replies idle_replies = co_await idle.replies(1);
    const bool idle_closed = co_await idle.wait_closed(5s);
    EXPECT_TRUE(idle_closed);
    handler_.release();
    Replies busy_replies = co_await busy.replies(2);
    const bool busy_closed = co_await busy.wait_closed(5s);
    EXPECT_TRUE(busy_closed);
    co_return std::pair{idle_replies, busy_replies};
  }());
  EXPECT_EQ(result.first, (Replies{"421 4.3.2 mx.test Service shutting down"}));
  EXPECT_EQ(result.second, (Replies{"250 2.1.5 Ok", "421 4.3.2 mx.test Service shutting down"}));
}

TEST(SmtpMetricsText, Counters_AreFamiliesOfOneSample) {
  SmtpServerStats stats;
  stats.accepted = 3;
  stats.active = 1;
  stats.messages = 2;
  stats.rejected_recipients = 4;
  const std::string text = smtp_metrics_text(stats);
  EXPECT_NE(text.find("# TYPE mtasts_smtp_connections_accepted_total counter\n"
                      "mtasts_smtp_connections_accepted_total 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE mtasts_smtp_connections gauge\nmtasts_smtp_connections 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("mtasts_smtp_messages_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("mtasts_smtp_recipients_rejected_total 4\n"), std::string::npos);
  EXPECT_NE(text.find("mtasts_smtp_timeouts_total 0\n"), std::string::npos);
}

TEST(SmtpServerUnixTest, Lmtp_RepliesOncePerRecipientAfterTheMessage) {
  asio::io_context io;
  Logger log(LogLevel::error);
  RecordingHandler handler(io.get_executor());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mtasts-lmtp-" + std::to_string(::getpid())))
          .string();
  SmtpServer server(io.get_executor(), handler, small_options(), log);
  ASSERT_TRUE(server.listen_unix(path, SmtpProtocol::lmtp, 0660));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660U);
  server.start();
  const auto replies = testing::run_until_done(io, [&]() -> asio::awaitable<Replies> {
    SmtpClient client(io.get_executor());
    const bool connected = co_await client.connect_unix(path);
    EXPECT_TRUE(connected);
    co_await client.send(
        "LHLO postfix.example\r\nMAIL FROM:<r@reporter.example>\r\nRCPT TO:<a@mx.test>\r\n"
        "RCPT TO:<bad@mx.test>\r\nRCPT TO:<temp@mx.test>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\n");
    Replies out = co_await client.replies(8);
    co_await client.send("report\r\n.\r\nQUIT\r\n");
    Replies got = co_await client.replies(4);
    out.insert(out.end(), got.begin(), got.end());
    co_await server.drain(1s);
    co_return out;
  }());
  ASSERT_TRUE(replies);
  EXPECT_EQ(*replies, (Replies{"220 mx.test LMTP",
                               "250-mx.test\n250-PIPELINING\n250-SIZE 1000\n250-8BITMIME\n250 "
                               "ENHANCEDSTATUSCODES",
                               "250 2.1.0 Ok", "250 2.1.5 Ok",
                               "550 5.1.1 Recipient address rejected: User unknown", "250 2.1.5 Ok",
                               "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                               "250 2.0.0 Ok", "451 4.3.0 Error: delivery failed, try again later",
                               "250 2.0.0 Ok", "221 2.0.0 Bye"}));
  ASSERT_EQ(handler.delivered.size(), 1U);
  EXPECT_EQ(handler.delivered[0].peer, "");
  EXPECT_EQ(handler.delivered[0].message, "report\r\n");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SmtpServerUnixTest, ExistingRegularFile_IsNotReplaced) {
  asio::io_context io;
  Logger log(LogLevel::error);
  RecordingHandler handler(io.get_executor());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mtasts-lmtp-file-" + std::to_string(::getpid())))
          .string();
  { std::ofstream(path) << "keep"; }
  SmtpServer server(io.get_executor(), handler, small_options(), log);
  const auto result = server.listen_unix(path, SmtpProtocol::lmtp, std::nullopt);
  EXPECT_FALSE(result);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mtasts::net
