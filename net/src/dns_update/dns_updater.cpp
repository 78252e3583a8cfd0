#include "mtasts/net/dns_update/dns_updater.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Bytes = std::vector<std::uint8_t>;

struct Key {
  std::string name;
  core::TsigAlgorithm algorithm;
  std::string secret;
};

// What signing a request leaves for checking the answer.
struct Signed {
  Bytes message;
  Bytes mac;  // empty without a key
};

core::Result<std::uint16_t> random_id() {
  std::array<unsigned char, 2> octets{};
  if (RAND_bytes(octets.data(), static_cast<int>(octets.size())) != 1) {
    return core::fail(Errc::system, "OpenSSL could not draw a random message ID");
  }
  return static_cast<std::uint16_t>((octets[0] << 8) | octets[1]);
}

std::uint64_t unix_now() {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(since).count());
}

// The code of a failed connect, write or read.
Errc io_errc(const error_code& ec) {
  return ec == beast::error::timeout ? Errc::timeout : Errc::connect;
}

std::string io_failure(const error_code& ec, std::string_view during,
                       std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) {
    return "no answer within " + std::to_string(timeout.count()) + " ms (while " +
           std::string(during) + ")";
  }
  if (ec == asio::error::eof || ec == asio::error::connection_reset) {
    return "the server closed the connection " + std::string(during) + " without answering";
  }
  return std::string(during) + " failed: " + ec.message();
}

class TcpDnsUpdater final : public DnsUpdater {
 public:
  TcpDnsUpdater(asio::any_io_executor executor, DnsUpdateOptions options, tcp::endpoint endpoint,
                std::optional<Key> key)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        key_(std::move(key)) {}

  asio::awaitable<core::Result<void>> replace_txt(std::string owner, std::uint32_t ttl,
                                                  std::string text) override {
    std::string what = "replacing the TXT record at '" + owner + "'";
    core::UpdateOperation operation = core::ReplaceTxt{std::move(owner), ttl, std::move(text)};
    auto result = co_await update(std::move(operation), std::move(what));
    co_return result;
  }

  asio::awaitable<core::Result<void>> remove_txt(std::string owner) override {
    std::string what = "removing the TXT records at '" + owner + "'";
    core::UpdateOperation operation = core::DeleteTxt{std::move(owner)};
    auto result = co_await update(std::move(operation), std::move(what));
    co_return result;
  }

 private:
  std::string server_text() const {
    return endpoint_.address().is_v6()
               ? "[" + endpoint_.address().to_string() + "]:" + std::to_string(endpoint_.port())
               : endpoint_.address().to_string() + ":" + std::to_string(endpoint_.port());
  }

  core::Error in_context(const core::Error& error, const std::string& what) const {
    return {error.code,
            what + " in zone '" + options_.zone + "' via " + server_text() + ": " + error.message};
  }

  core::Result<Signed> sign(Bytes message) const {
    if (!key_) {
      return Signed{std::move(message), {}};
    }
    core::TsigParameters params{key_->name, key_->algorithm, unix_now(), core::kDefaultTsigFudge, 0,
                                {}};
    auto input = core::tsig_request_mac_input(message, params);
    auto mac = input ? tsig_hmac(key_->algorithm, key_->secret, *input)
                     : core::Result<Bytes>(tl::unexpected(input.error()));
    auto signed_message = mac ? core::append_tsig(message, params, *mac)
                              : core::Result<Bytes>(tl::unexpected(mac.error()));
    if (!signed_message) {
      return tl::unexpected(signed_message.error());
    }
    return Signed{std::move(*signed_message), std::move(*mac)};
  }

  // RFC 8945 §5.3.2 from the client's side: the answer is signed by our key for our request,
  // the MAC matches (compared in constant time), then the time is within the fudge.
  core::Result<void> verify(const Bytes& answer, const core::DnsUpdateResponse& response,
                            const Bytes& request_mac) const {
    auto check =
        core::response_mac_check(answer, response, key_->name, key_->algorithm, request_mac);
    if (!check) {
      return tl::unexpected(check.error());
    }
    auto mac = tsig_hmac(key_->algorithm, key_->secret, check->mac_input);
    if (!mac) {
      return tl::unexpected(mac.error());
    }
    if (mac->size() != check->mac.size() ||
        CRYPTO_memcmp(mac->data(), check->mac.data(), mac->size()) != 0) {
      return core::fail(Errc::protocol,
                        "the answer's signature does not verify with key '" + key_->name +
                            "': it was altered, or is not from the server that has the key");
    }
    return core::check_tsig_time(*response.tsig, unix_now());
  }

  core::Result<void> judge(std::uint16_t id, const Bytes& answer, const Bytes& request_mac) const {
    auto response = core::parse_update_response(answer);
    if (!response) {
      return tl::unexpected(response.error());
    }
    if (response->id != id) {
      return core::fail(Errc::protocol, "the answer's ID " + std::to_string(response->id) +
                                            " is not the update's (" + std::to_string(id) + ")");
    }
    const auto key_name = key_ ? std::optional<std::string_view>(key_->name) : std::nullopt;
    if (key_ && !response->tsig && response->rcode != 0) {
      // An unsigned error proves nothing, but what it says helps whoever reads the log.
      auto said = core::update_response_outcome(*response, options_.zone, key_name);
      return core::fail(Errc::refused,
                        "an unsigned answer (not to be trusted) says: " +
                            (said ? core::dns_rcode_name(response->rcode) : said.error().message));
    }
    if (key_) {
      if (auto verified = verify(answer, *response, request_mac); !verified) {
        return verified;
      }
    }
    return core::update_response_outcome(*response, options_.zone, key_name);
  }

  asio::awaitable<core::Result<void>> update(core::UpdateOperation operation, std::string what) {
    auto id = random_id();
    if (!id) {
      co_return tl::unexpected(in_context(id.error(), what));
    }
    auto message = core::encode_update({*id, options_.zone, {std::move(operation)}});
    auto signed_message =
        message ? sign(std::move(*message)) : core::Result<Signed>(tl::unexpected(message.error()));
    if (!signed_message) {
      co_return tl::unexpected(in_context(signed_message.error(), what));
    }
    auto answer = co_await exchange(std::move(signed_message->message));
    if (!answer) {
      co_return tl::unexpected(in_context(answer.error(), what));
    }
    auto judged = judge(*id, *answer, signed_message->mac);
    if (!judged) {
      co_return tl::unexpected(in_context(judged.error(), what));
    }
    co_return core::Result<void>{};
  }

  // RFC 1035 §4.2.2: over TCP each message is preceded by its length in two octets.
  asio::awaitable<core::Result<Bytes>> exchange(Bytes message) {
    beast::tcp_stream stream(executor_);
    stream.expires_after(options_.timeout);  // one deadline for connect, write and read
    error_code ec;
    co_await stream.async_connect(endpoint_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return core::fail(io_errc(ec), io_failure(ec, "connecting", options_.timeout));
    }
    const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(message.size() >> 8),
                                             static_cast<std::uint8_t>(message.size() & 0xff)};
    const std::array<asio::const_buffer, 2> request{asio::buffer(length), asio::buffer(message)};
    co_await asio::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return core::fail(io_errc(ec), io_failure(ec, "sending the update", options_.timeout));
    }
    std::array<std::uint8_t, 2> prefix{};
    co_await asio::async_read(stream, asio::buffer(prefix),
                              asio::redirect_error(asio::use_awaitable, ec));
    Bytes answer((std::size_t{prefix[0]} << 8) | prefix[1]);  // at most 65535 octets
    if (!ec) {
      co_await asio::async_read(stream, asio::buffer(answer),
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      co_return core::fail(io_errc(ec), io_failure(ec, "reading the answer", options_.timeout));
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return answer;
  }

  asio::any_io_executor executor_;
  DnsUpdateOptions options_;
  tcp::endpoint endpoint_;
  std::optional<Key> key_;
};

}  // namespace

core::Result<std::unique_ptr<DnsUpdater>> DnsUpdater::create(asio::any_io_executor executor,
                                                             DnsUpdateOptions options) {
  if (auto zone = core::encode_dns_name(options.zone); !zone) {
    return core::fail(core::Errc::invalid_value, "DNS update zone: " + zone.error().message);
  }
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.server, ec);
  if (ec) {
    return core::fail(core::Errc::invalid_value,
                      "DNS update server '" + options.server +
                          "' is not an IP address (give the primary's address, not its name)");
  }
  if (options.port == 0 || options.timeout.count() <= 0) {
    return core::fail(core::Errc::invalid_value, options.port == 0
                                                     ? "DNS update port 0 is not valid"
                                                     : "DNS update timeout must be positive");
  }
  std::optional<Key> key;
  if (options.key) {
    if (auto name = core::encode_dns_name(options.key->name); !name) {
      return core::fail(core::Errc::invalid_value, "TSIG key name: " + name.error().message);
    }
    auto algorithm = core::parse_tsig_algorithm(options.key->algorithm);
    if (!algorithm) {
      return tl::unexpected(algorithm.error());
    }
    if (options.key->secret.empty()) {
      return core::fail(core::Errc::invalid_value,
                        "TSIG key '" + options.key->name + "' has an empty secret");
    }
    key = Key{options.key->name, *algorithm, options.key->secret};
  }
  const tcp::endpoint endpoint(address, options.port);
  return std::unique_ptr<DnsUpdater>(std::make_unique<TcpDnsUpdater>(
      std::move(executor), std::move(options), endpoint, std::move(key)));
}

}  // namespace mtasts::net
