#pragma once

// A TCP DNS server on 127.0.0.1 (ephemeral port) inside the test process that answers RFC 2136
// updates as scripted: correctly signed (RFC 8945), with a bad MAC, another ID, an RCODE, a
// TSIG error, a clock off by some seconds, not at all, or cut or corrupted on the wire.
// It records every request it read and whether its TSIG verified with the key.

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/core/dns_update/dns_update.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"

namespace mtasts::net::testing {

enum class FakeAnswer {
  signed_answer,    // signed with the key (unsigned when the script has no key)
  bad_mac,          // signed, then one bit of the MAC flipped
  unsigned_answer,  // no TSIG RR at all
  tsig_error,       // RFC 8945 §5.3.2: an unsigned TSIG RR carrying `tsig_error`
  wrong_id,         // the answer's ID is not the request's
  never,            // read the request, say nothing
  close_early,      // read the request, close
};

struct FakeScript {
  FakeAnswer answer = FakeAnswer::signed_answer;
  core::DnsRcode rcode = core::DnsRcode::noerror;
  std::optional<TsigKey> key;     // the server's copy of the key
  std::int64_t clock_offset = 0;  // seconds added to the time the answer is signed with
  std::uint16_t tsig_error = core::kTsigBadSig;
  std::size_t cut_at = std::numeric_limits<std::size_t>::max();  // framed octets sent, then close
  std::optional<std::size_t> flip;                               // framed octet XORed with 0x01
};

struct SeenRequest {
  core::DnsBytes message;  // as received (signed)
  bool signed_request = false;
  bool verified = false;         // the TSIG verified with the script's key
  core::DnsBytes unsigned_part;  // the message without its TSIG RR, ARCOUNT and ID restored
};

class FakeDnsUpdateServer {
 public:
  FakeDnsUpdateServer(boost::asio::io_context& io, FakeScript script)
      : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), script_(std::move(script)) {
    boost::asio::co_spawn(io, accept_loop(), boost::asio::detached);
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] const std::vector<SeenRequest>& requests() const { return requests_; }
  void set_script(FakeScript script) { script_ = std::move(script); }

 private:
  using tcp = boost::asio::ip::tcp;

  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      boost::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)),
                            boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(tcp::socket socket) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    std::array<std::uint8_t, 2> prefix{};
    co_await asio::async_read(socket, asio::buffer(prefix),
                              asio::redirect_error(asio::use_awaitable, ec));
    core::DnsBytes message((std::size_t{prefix[0]} << 8) | prefix[1]);
    if (!ec) {
      co_await asio::async_read(socket, asio::buffer(message),
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      co_return;
    }
    const FakeScript script = script_;
    const SeenRequest seen = inspect(message, script);
    requests_.push_back(seen);
    if (script.answer == FakeAnswer::close_early) {
      co_return;
    }
    if (script.answer == FakeAnswer::never) {
      asio::steady_timer timer(socket.get_executor(), std::chrono::seconds(30));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    core::DnsBytes framed = frame(answer_to(message, script));
    if (script.flip && *script.flip < framed.size()) {
      framed[*script.flip] ^= 0x01;
    }
    framed.resize(std::min(framed.size(), script.cut_at));
    co_await asio::async_write(socket, asio::buffer(framed),
                               asio::redirect_error(asio::use_awaitable, ec));
  }

  static SeenRequest inspect(const core::DnsBytes& message, const FakeScript& script) {
    SeenRequest seen{message, false, false, message};
    const auto parsed = core::parse_update_response(message);
    if (!parsed || !parsed->tsig) {
      return seen;
    }
    seen.signed_request = true;
    const core::TsigRecord& tsig = *parsed->tsig;
    seen.unsigned_part.resize(tsig.offset);
    seen.unsigned_part[0] = static_cast<std::uint8_t>(tsig.original_id >> 8);
    seen.unsigned_part[1] = static_cast<std::uint8_t>(tsig.original_id & 0xff);
    seen.unsigned_part[11] = static_cast<std::uint8_t>(seen.unsigned_part[11] - 1);
    if (!script.key) {
      return seen;
    }
    const core::TsigParameters params{
        script.key->name, *core::parse_tsig_algorithm(script.key->algorithm),
        tsig.time_signed, tsig.fudge,
        tsig.error,       tsig.other_data};
    const auto input = core::tsig_request_mac_input(seen.unsigned_part, params);
    const auto mac = tsig_hmac(params.algorithm, script.key->secret, *input);
    seen.verified = mac && *mac == tsig.mac;
    return seen;
  }

  static core::DnsBytes answer_to(const core::DnsBytes& request, const FakeScript& script) {
    const auto parsed = core::parse_update_response(request);
    const std::uint16_t id = parsed ? parsed->id : 0;
    const std::uint16_t answer_id = script.answer == FakeAnswer::wrong_id ? id ^ 0x0101 : id;
    const auto flags = static_cast<std::uint16_t>(0xa800 | static_cast<int>(script.rcode));
    core::DnsBytes out;
    for (const std::uint16_t v : {answer_id, flags, std::uint16_t{1}, std::uint16_t{0},
                                  std::uint16_t{0}, std::uint16_t{0}}) {
      out.push_back(static_cast<std::uint8_t>(v >> 8));
      out.push_back(static_cast<std::uint8_t>(v & 0xff));
    }
    // The zone section, copied from the request (its name ends the first zero octet after 12).
    std::size_t end = 12;
    while (end < request.size() && request[end] != 0) {
      end += 1 + std::size_t{request[end]};
    }
    out.insert(out.end(), request.begin() + 12,
               request.begin() + static_cast<std::ptrdiff_t>(std::min(end + 5, request.size())));
    if (!script.key || script.answer == FakeAnswer::unsigned_answer) {
      return out;
    }
    const auto algorithm = *core::parse_tsig_algorithm(script.key->algorithm);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    core::TsigParameters params{
        script.key->name,        algorithm, static_cast<std::uint64_t>(now + script.clock_offset),
        core::kDefaultTsigFudge, 0,         {}};
    if (script.answer == FakeAnswer::tsig_error) {
      params.error = script.tsig_error;
      return *core::append_tsig(out, params, {});
    }
    const core::DnsBytes request_mac =
        parsed && parsed->tsig ? parsed->tsig->mac : core::DnsBytes{};
    const auto input = core::tsig_response_mac_input(request_mac, out, params);
    core::DnsBytes mac = *tsig_hmac(algorithm, script.key->secret, *input);
    if (script.answer == FakeAnswer::bad_mac) {
      mac[3] ^= 0x10;
    }
    // With wrong_id the MAC is valid for the ID it carries: only the ID check can refuse it.
    return *core::append_tsig(out, params, mac);
  }

  static core::DnsBytes frame(const core::DnsBytes& message) {
    core::DnsBytes out{static_cast<std::uint8_t>(message.size() >> 8),
                       static_cast<std::uint8_t>(message.size() & 0xff)};
    out.insert(out.end(), message.begin(), message.end());
    return out;
  }

  tcp::acceptor acceptor_;
  FakeScript script_;
  std::vector<SeenRequest> requests_;
};

}  // namespace mtasts::net::testing
