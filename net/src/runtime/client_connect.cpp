#include "runtime/client_connect.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <variant>

#include "mtasts/net/runtime/errc.hpp"
#include "runtime/tls_client.hpp"

namespace mtasts::net {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<AddressLookup> lookup_addresses(DnsResolver& resolver, std::string host,
                                                std::uint16_t port,
                                                std::chrono::steady_clock::time_point deadline) {
  AddressLookup out;
  boost::system::error_code ec;
  const asio::ip::address literal = asio::ip::make_address(host, ec);
  if (!ec) {
    out.end = LookupEnd::found;
    out.endpoints.emplace_back(literal, port);
    co_return out;
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto outcome = co_await (resolver.query_addresses(host) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) {
    out.end = LookupEnd::deadline;
    co_return out;
  }
  const AddressAnswer& answer = std::get<0>(outcome);
  out.status = answer.meta.status;
  if (answer.meta.status != DnsStatus::ok) {
    out.end = LookupEnd::failed;
    out.reason =
        answer.meta.message.empty()
            ? "no A or AAAA record (" + std::string(dns_status_name(answer.meta.status)) + ")"
            : answer.meta.message;
    co_return out;
  }
  out.end = LookupEnd::found;
  for (const std::string& text : answer.addresses) {
    const asio::ip::address address = asio::ip::make_address(text, ec);
    if (!ec) {
      out.endpoints.emplace_back(address, port);
    }
  }
  co_return out;
}

asio::awaitable<ConnectOutcome> connect_endpoints(boost::beast::tcp_stream& stream,
                                                  const std::vector<tcp::endpoint>& endpoints,
                                                  std::chrono::steady_clock::time_point deadline) {
  ConnectOutcome out;
  stream.expires_at(deadline);
  boost::system::error_code ec;
  out.peer =
      co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == boost::beast::error::timeout) {
    out.end = ConnectEnd::deadline;
  } else if (ec) {
    out.end = ConnectEnd::failed;
    out.error = ec.message();
  } else {
    out.end = ConnectEnd::connected;
  }
  co_return out;
}

std::string connect_failure_text(const ConnectOutcome& outcome, const std::string& target) {
  if (outcome.end == ConnectEnd::deadline) {
    return "the deadline passed while connecting";
  }
  return "cannot connect to " + target + ": " + outcome.error;
}

core::Result<asio::ssl::context> make_client_context(const std::optional<std::string>& ca_file) {
  try {
    asio::ssl::context context(asio::ssl::context::tls_client);
    if (auto configured = configure_client_context(context.native_handle(), ca_file); !configured) {
      return tl::unexpected(configured.error());
    }
    return context;
  } catch (const boost::system::system_error& e) {
    return core::fail(Errc::system, std::string("cannot set up TLS: ") + e.what());
  }
}

std::string host_port_text(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace mtasts::net
