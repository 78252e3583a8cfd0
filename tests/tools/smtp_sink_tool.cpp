// smtp_sink_tool: runs the real net::SmtpServer with a handler that stores every message, for
// interoperability tests with real clients (Python's smtplib, Postfix's smtp and lmtp). Not
// installed; a test instrument.
//
//   smtp_sink_tool --dir DIR [--smtp HOST:PORT] [--lmtp HOST:PORT] [--lmtp-unix PATH]
//                  [--hostname NAME] [--max-message BYTES]
//
// Recipients whose local part starts with "reject" are refused (550), "defer" deferred (450);
// a delivered message goes to DIR/<n>.eml, its envelope to DIR/<n>.json. Prints the bound TCP
// ports, one "listening PROTOCOL PORT" line each, then runs until SIGTERM or SIGINT (a drain of
// 5 s). Exit 2 on bad usage or a listener that cannot be opened.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/runtime/stop_signals.hpp"
#include "mtasts/net/smtp/smtp_server.hpp"

namespace {

namespace asio = boost::asio;
using mtasts::net::DeliveryVerdict;
using mtasts::net::RecipientVerdict;
using mtasts::net::SmtpEnvelope;

class StoringHandler final : public mtasts::net::SmtpHandler {
 public:
  explicit StoringHandler(std::string dir) : dir_(std::move(dir)) {}

  asio::awaitable<RecipientVerdict> check_recipient(std::string address) override {
    if (address.rfind("reject", 0) == 0) {
      co_return RecipientVerdict{mtasts::core::Verdict::permanent, std::nullopt};
    }
    if (address.rfind("defer", 0) == 0) {
      co_return RecipientVerdict{mtasts::core::Verdict::temporary, std::nullopt};
    }
    co_return RecipientVerdict{};
  }

  asio::awaitable<std::vector<DeliveryVerdict>> deliver(SmtpEnvelope envelope) override {
    const std::string base = dir_ + "/" + std::to_string(++count_);
    std::ofstream(base + ".eml", std::ios::binary) << envelope.message;
    const nlohmann::json meta = {{"helo", envelope.helo},
                                 {"peer", envelope.peer},
                                 {"from", envelope.mail_from},
                                 {"to", envelope.recipients}};
    std::ofstream(base + ".json") << meta.dump() << "\n";
    co_return std::vector<DeliveryVerdict>(envelope.recipients.size());
  }

 private:
  std::string dir_;
  int count_ = 0;
};

// Drains the server on SIGTERM or SIGINT, then stops the loop.
asio::awaitable<void> stop_on_signal(asio::io_context* io, mtasts::net::Logger* log,
                                     mtasts::net::SmtpServer* server) {
  const bool stop = co_await mtasts::net::await_stop_signal(*io, *log);
  if (stop) {
    co_await server->drain(std::chrono::seconds(5));
  }
  io->stop();
}

int usage(const std::string& why) {
  std::cerr << "smtp_sink_tool: " << why << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  mtasts::net::SmtpServerOptions options;
  std::vector<std::pair<mtasts::core::SmtpProtocol, std::string>> tcp;
  std::vector<std::string> unix_paths;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--smtp") {
      tcp.emplace_back(mtasts::core::SmtpProtocol::smtp, value);
    } else if (flag == "--lmtp") {
      tcp.emplace_back(mtasts::core::SmtpProtocol::lmtp, value);
    } else if (flag == "--lmtp-unix") {
      unix_paths.push_back(value);
    } else if (flag == "--hostname") {
      options.hostname = value;
    } else if (flag == "--max-message") {
      options.limits.max_message_bytes = std::stoul(value);
    } else {
      return usage("unknown option " + flag);
    }
  }
  if (dir.empty() || (tcp.empty() && unix_paths.empty())) {
    return usage("--dir and at least one listener are required");
  }
  asio::io_context io;
  mtasts::net::Logger log(mtasts::net::LogLevel::info);
  StoringHandler handler(dir);
  mtasts::net::SmtpServer server(io.get_executor(), handler, options, log);
  for (const auto& [protocol, address] : tcp) {
    const auto endpoint = mtasts::net::parse_endpoint(address);
    if (!endpoint) {
      return usage(endpoint.error().message);
    }
    const auto port = server.listen_tcp(endpoint->host, endpoint->port, protocol);
    if (!port) {
      return usage(port.error().message);
    }
    std::cout << "listening " << mtasts::core::to_string(protocol) << " " << *port << std::endl;
  }
  for (const std::string& path : unix_paths) {
    const auto listening = server.listen_unix(path, mtasts::core::SmtpProtocol::lmtp, 0666);
    if (!listening) {
      return usage(listening.error().message);
    }
    std::cout << "listening lmtp " << path << std::endl;
  }
  server.start();
  asio::co_spawn(io, stop_on_signal(&io, &log, &server), asio::detached);
  io.run();
  return 0;
}
