#pragma once

// What the servers that tests run in-process share: a TLS server context holding a test
// credential, and the loop that accepts connections and serves each on a coroutine of its own.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "test_pki.hpp"

namespace mtasts::net::testing {

// A TLS server context presenting `credential`. `max_tls_version` (e.g. TLS1_1_VERSION) caps
// the versions offered and lets the server offer what the system policy forbids; 0: the
// library default.
[[nodiscard]] boost::asio::ssl::context tls_server_context(const Credential& credential,
                                                           int max_tls_version = 0);

// Accepts connections on `acceptor` until it is closed, spawning `serve(socket)` for each.
// `acceptor` must outlive the loop (the servers own theirs and close it on destruction).
template <class Serve>
boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor, Serve serve) {
  for (;;) {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket =
        co_await acceptor.async_accept(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    boost::asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), boost::asio::detached);
  }
}

// Starts accept_loop(acceptor, serve) on the acceptor's executor.
template <class Serve>
void accept_each(boost::asio::ip::tcp::acceptor& acceptor, Serve serve) {
  boost::asio::co_spawn(acceptor.get_executor(), accept_loop(acceptor, std::move(serve)),
                        boost::asio::detached);
}

}  // namespace mtasts::net::testing
