#pragma once

// A UDP DNS server on 127.0.0.1 (ephemeral port) inside the test process: each query is
// decoded and handed to a function that returns the response bytes, or nothing to stay silent.

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dns_wire.hpp"
#include "mtasts/net/dns/dns_message.hpp"

namespace mtasts::net::testing {

class TestDnsServer {
 public:
  using Handler = std::function<std::optional<Bytes>(const dns::Question&, std::uint16_t id)>;

  TestDnsServer(boost::asio::io_context& io, Handler handler)
      : socket_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), handler_(std::move(handler)) {
    boost::asio::co_spawn(io, serve(), boost::asio::detached);
  }

  [[nodiscard]] std::string address() const {
    return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
  }
  // "name/type" of every query received, in order.
  [[nodiscard]] const std::vector<std::string>& asked() const { return asked_; }
  // How many queries asked for the AD bit (RFC 6840 §5.7).
  [[nodiscard]] std::size_t asked_for_ad() const { return asked_for_ad_; }

 private:
  boost::asio::awaitable<void> serve() {
    std::array<std::uint8_t, 4096> buffer{};
    boost::asio::ip::udp::endpoint from;
    while (true) {
      boost::system::error_code ec;
      const std::size_t size = co_await socket_.async_receive_from(
          boost::asio::buffer(buffer), from,
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      auto query = dns::parse_message(std::span(buffer.data(), size));
      if (!query || query->questions.empty()) {
        continue;
      }
      const dns::Question& question = query->questions.front();
      asked_.push_back(question.name + "/" + std::to_string(question.type));
      asked_for_ad_ += query->authenticated ? 1u : 0u;
      if (auto reply = handler_(question, query->id)) {
        co_await socket_.async_send_to(boost::asio::buffer(*reply), from,
                                       boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      }
    }
  }

  boost::asio::ip::udp::socket socket_;
  Handler handler_;
  std::vector<std::string> asked_;
  std::size_t asked_for_ad_ = 0;
};

}  // namespace mtasts::net::testing
