#include "mtasts/net/dns/mx_lookup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {

namespace asio = boost::asio;

core::Result<MxAnswer> lookup_mx(std::string domain, const DnsOptions& options) {
  asio::io_context io;
  auto resolver = make_ares_resolver(io.get_executor(), options);
  if (!resolver) {
    return tl::unexpected(resolver.error());
  }
  std::optional<MxAnswer> answer;
  asio::co_spawn(io, (*resolver)->query_mx(std::move(domain)),
                 [&](const std::exception_ptr& error, MxAnswer done) {
                   if (!error) {
                     answer = std::move(done);
                   }
                   io.stop();
                 });
  io.run();
  if (!answer) {
    return core::fail(Errc::internal, "internal error: the MX lookup did not finish");
  }
  return std::move(*answer);
}

}  // namespace mtasts::net
