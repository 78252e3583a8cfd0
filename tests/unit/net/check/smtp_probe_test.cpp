#include "mtasts/net/check/smtp_probe.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "test_https_server.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using testing::Credential;
using testing::LeafSpec;
using testing::TestPki;

constexpr std::string_view kMx = "mx1.example.test";

struct SmtpScript {
  std::string banner = "220-mx1.example.test ESMTP\r\n220 welcome\r\n";
  bool offer_starttls = true;
  std::string starttls_reply = "220 go ahead\r\n";
  int max_tls_version = 0;  // e.g. TLS1_1_VERSION
  bool stall = false;       // accept, then say nothing
};

// A one-script SMTP server on 127.0.0.1 speaking just enough ESMTP and STARTTLS.
class FakeSmtpServer {
 public:
  FakeSmtpServer(asio::io_context& io, const Credential& credential, SmtpScript script)
      : context_(testing::tls_server_context(credential, script.max_tls_version)),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)) {
    testing::accept_each(acceptor_, [this](tcp::socket s) { return serve(std::move(s)); });
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] const std::vector<std::string>& commands() const { return commands_; }

 private:
  asio::awaitable<void> serve(tcp::socket socket) {
    error_code ec;
    if (script_.stall) {
      asio::steady_timer timer(socket.get_executor(), std::chrono::seconds(30));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    co_await asio::async_write(socket, asio::buffer(script_.banner),
                               asio::redirect_error(asio::use_awaitable, ec));
    std::string buffer;
    while (!ec) {
      const std::size_t n =
          co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n",
                                          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      const std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      commands_.push_back(line);
      std::string reply = "250 ok\r\n";
      if (line.starts_with("EHLO")) {
        reply = script_.offer_starttls ? "250-mx1 hello\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"
                                       : "250-mx1 hello\r\n250 SIZE 1000\r\n";
      } else if (line == "QUIT") {
        reply = "221 bye\r\n";
      } else if (line == "STARTTLS") {
        reply = script_.starttls_reply;
      }
      co_await asio::async_write(socket, asio::buffer(reply),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (line == "STARTTLS" && reply.starts_with("220")) {
        co_await serve_tls(socket);
        co_return;
      }
    }
  }

  asio::awaitable<void> serve_tls(tcp::socket& socket) {
    ssl::stream<tcp::socket&> tls(socket, context_);
    error_code ec;
    co_await tls.async_handshake(ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
    std::string buffer;
    while (!ec) {
      const std::size_t n = co_await asio::async_read_until(
          tls, asio::dynamic_buffer(buffer), "\r\n", asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      commands_.push_back("TLS " + buffer.substr(0, n - 2));
      buffer.erase(0, n);
      co_await asio::async_write(tls, asio::buffer(std::string("221 bye\r\n")),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  ssl::context context_;
  tcp::acceptor acceptor_;
  SmtpScript script_;
  std::vector<std::string> commands_;
};

Credential leaf(std::vector<std::string> names, long not_after_days = 36500) {
  return TestPki::instance().issue(LeafSpec{"", std::move(names), -1, not_after_days});
}

SmtpProbeResult probe(asio::io_context& io, std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  SmtpProbeOptions options;
  options.ca_file = TestPki::instance().ca_file();
  options.port = port;
  options.timeout = timeout;
  auto prober = make_smtp_prober(io.get_executor(), options);
  EXPECT_TRUE(prober.has_value());
  auto result = testing::run_until_done(
      io, (*prober)->probe(std::string(kMx), std::vector<std::string>{"127.0.0.1"}));
  EXPECT_TRUE(result.has_value());
  return result.value_or(SmtpProbeResult{});
}

struct Probed {
  SmtpProbeResult result;
  std::vector<std::string> commands;  // what the server received
};

// Probes a server following `script`, with a valid certificate for kMx.
Probed probe_script(SmtpScript script,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  asio::io_context io;
  FakeSmtpServer server(io, leaf({std::string(kMx)}), std::move(script));
  SmtpProbeResult result = probe(io, server.port(), timeout);
  return {std::move(result), server.commands()};
}

TEST(SmtpProbe, ValidCertificate_OkWithVersionAndExpiry) {
  asio::io_context io;
  FakeSmtpServer server(io, leaf({std::string(kMx)}), {});
  const SmtpProbeResult r = probe(io, server.port());
  EXPECT_EQ(r.status, SmtpProbeStatus::ok) << r.message;
  EXPECT_TRUE(r.starttls_offered);
  EXPECT_EQ(r.banner, "mx1.example.test ESMTP");
  EXPECT_TRUE(r.tls_version == "TLSv1.3" || r.tls_version == "TLSv1.2") << r.tls_version;
  ASSERT_TRUE(r.certificate.has_value());
  EXPECT_FALSE(r.certificate->not_after.empty());
  ASSERT_GE(server.commands().size(), 3U);
  EXPECT_EQ(server.commands()[0], "EHLO mtasts-check.invalid");
  EXPECT_EQ(server.commands()[1], "STARTTLS");
  EXPECT_EQ(server.commands()[2], "TLS QUIT");
}

TEST(SmtpProbe, NoStarttlsOffered_NoStarttlsAndQuitInPlaintext) {
  SmtpScript script;
  script.offer_starttls = false;
  const Probed probed = probe_script(script);
  EXPECT_EQ(probed.result.status, SmtpProbeStatus::no_starttls);
  EXPECT_FALSE(probed.result.starttls_offered);
  ASSERT_FALSE(probed.commands.empty());
  EXPECT_EQ(probed.commands.back(), "QUIT");
}

TEST(SmtpProbe, MisbehavingServers_Classified) {
  struct Case {
    const char* name;
    SmtpScript script;
    SmtpProbeStatus expected;
    std::string in_message;  // "" when any message will do
  };
  const std::vector<Case> cases = {
      {"STARTTLS refused",
       {.starttls_reply = "454 TLS not available\r\n"},
       SmtpProbeStatus::no_starttls,
       "454"},
      {"TLS 1.1 only", {.max_tls_version = TLS1_1_VERSION}, SmtpProbeStatus::tls_version, ""},
      {"endless banner line",
       {.banner = "220 " + std::string(10000, 'x')},
       SmtpProbeStatus::smtp_protocol,
       ""},
      {"not SMTP", {.banner = "HTTP/1.1 400 Bad Request\r\n"}, SmtpProbeStatus::smtp_protocol, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const SmtpProbeResult r = probe_script(c.script).result;
    EXPECT_EQ(smtp_probe_status_name(r.status), smtp_probe_status_name(c.expected)) << r.message;
    EXPECT_NE(r.message.find(c.in_message), std::string::npos) << r.message;
  }
}

TEST(SmtpProbe, CertificateFailures_Classified) {
  struct Case {
    const char* name;
    Credential credential;
    SmtpProbeStatus expected;
  };
  const std::vector<Case> cases = {
      {"expired", TestPki::instance().issue(LeafSpec{"", {std::string(kMx)}, -30, -1}),
       SmtpProbeStatus::cert_expired},
      {"not yet valid", TestPki::instance().issue(LeafSpec{"", {std::string(kMx)}, 5, 30}),
       SmtpProbeStatus::cert_not_yet_valid},
      {"wrong name", leaf({"other.example.test"}), SmtpProbeStatus::cert_name_mismatch},
      {"cn only", TestPki::instance().issue(LeafSpec{std::string(kMx), {}}),
       SmtpProbeStatus::cert_name_mismatch},
      {"deep wildcard", leaf({"*.test"}), SmtpProbeStatus::cert_name_mismatch},
      {"untrusted", TestPki::instance().issue(LeafSpec{"", {std::string(kMx)}}, false),
       SmtpProbeStatus::cert_untrusted},
      {"self-signed", TestPki::instance().self_signed(LeafSpec{"", {std::string(kMx)}}),
       SmtpProbeStatus::cert_untrusted},
      {"wildcard", leaf({"*.example.test"}), SmtpProbeStatus::ok},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    asio::io_context io;
    FakeSmtpServer server(io, c.credential, {});
    const SmtpProbeResult r = probe(io, server.port());
    EXPECT_EQ(smtp_probe_status_name(r.status), smtp_probe_status_name(c.expected)) << r.message;
    EXPECT_TRUE(r.certificate.has_value());
  }
}

TEST(SmtpProbe, NothingListens_Unreachable) {
  asio::io_context io;
  const SmtpProbeResult r = probe(io, testing::unused_port(io));
  EXPECT_EQ(r.status, SmtpProbeStatus::unreachable) << r.message;
  EXPECT_TRUE(r.peer.empty());
}

TEST(SmtpProbe, SilentServer_TimeoutWithinDeadline) {
  SmtpScript script;
  script.stall = true;
  const auto start = std::chrono::steady_clock::now();
  const SmtpProbeResult r = probe_script(script, std::chrono::milliseconds(300)).result;
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, SmtpProbeStatus::timeout) << r.message;
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(SmtpProbe, NoAddress_Unreachable) {
  asio::io_context io;
  auto prober = make_smtp_prober(io.get_executor(), SmtpProbeOptions{});
  ASSERT_TRUE(prober.has_value());
  auto r = testing::run_until_done(io, (*prober)->probe("mx.test", {}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, SmtpProbeStatus::unreachable);
}

}  // namespace
}  // namespace mtasts::net
