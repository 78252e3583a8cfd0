#include "dns/ares_channel.hpp"

#include <poll.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <mutex>

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr int kTriesPerServer = 2;
// The header's fourth octet holds RA, Z, AD, CD and the RCODE; AD is 0x20 in it.
constexpr int kAdFlagOffset = 3;
constexpr unsigned char kAdFlag = 0x20;
constexpr milliseconds kMinTryTimeout{50};
// Readiness rounds handled per wake-up before yielding back to the loop.
constexpr int kMaxDrainRounds = 16;

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

std::size_t count_system_servers() {
  ares_channel probe = nullptr;
  if (ares_init(&probe) != ARES_SUCCESS) {
    return 1;
  }
  std::size_t count = 0;
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(probe, &servers) == ARES_SUCCESS) {
    for (const ares_addr_port_node* node = servers; node != nullptr; node = node->next) {
      ++count;
    }
    ares_free_data(servers);
  }
  ares_destroy(probe);
  return std::max<std::size_t>(count, 1);
}

// c-ares doubles the per-try timeout after each round over all servers, so tries of t, 2t
// per server (3t each) fill the query bound; our own timer enforces the bound exactly.
milliseconds per_try_timeout(milliseconds total, std::size_t servers) {
  const auto rounds = static_cast<milliseconds::rep>(3 * servers);
  return std::max(kMinTryTimeout, total / rounds);
}

bool readable_now(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & POLLIN) != 0;
}

}  // namespace

struct AresChannel::Watch {
  Watch(const asio::any_io_executor& executor, int descriptor_fd)
      : descriptor(executor, descriptor_fd), fd(descriptor_fd) {}
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch() { stop(); }

  // The socket belongs to c-ares: never let Asio close it. Pending waits end with
  // operation_aborted, and a handler still holding this Watch sees `closed`.
  void stop() {
    closed = true;
    if (descriptor.is_open()) {
      descriptor.release();
    }
  }

  asio::posix::stream_descriptor descriptor;
  int fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

struct AresChannel::Pending {
  explicit Pending(const asio::any_io_executor& executor) : signal(executor) {}
  asio::steady_timer signal;  // expires at the query deadline; cancelled by the reply
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::uint8_t> bytes;
};

AresChannel::AresChannel(asio::any_io_executor executor, milliseconds timeout)
    : executor_(std::move(executor)), timeout_(timeout), timer_(executor_) {}

core::Result<std::shared_ptr<AresChannel>> AresChannel::create(
    asio::any_io_executor executor, const std::vector<ChannelServer>& servers,
    milliseconds timeout) {
  init_library_once();
  std::shared_ptr<AresChannel> channel(new AresChannel(std::move(executor), timeout));
  const std::size_t server_count = servers.empty() ? count_system_servers() : servers.size();

  ares_options options{};
  options.sock_state_cb = &AresChannel::on_sock_state;
  options.sock_state_cb_data = channel.get();
  options.timeout = static_cast<int>(per_try_timeout(timeout, server_count).count());
  options.tries = kTriesPerServer;
  // Without NOCHECKRESP c-ares turns SERVFAIL and REFUSED into "could not contact DNS
  // servers" (ARES_ECONNREFUSED), which CONFORMANCE 013 needs told apart: we read the rcode.
  options.flags = ARES_FLAG_NOCHECKRESP;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  if (int rc = ares_init_options(&channel->channel_, &options, mask); rc != ARES_SUCCESS) {
    channel->channel_ = nullptr;
    return core::fail(Errc::system,
                      std::string("cannot set up the DNS resolver: ") + ares_strerror(rc));
  }
  if (!servers.empty()) {
    std::vector<ares_addr_port_node> nodes(servers.size());
    for (std::size_t i = 0; i < servers.size(); ++i) {
      ares_addr_port_node& node = nodes[i];
      node.next = i + 1 < servers.size() ? &nodes[i + 1] : nullptr;
      node.family = servers[i].family;
      std::memcpy(&node.addr, servers[i].bytes.data(),
                  std::min(servers[i].bytes.size(), sizeof(node.addr)));
      node.udp_port = servers[i].port;
      node.tcp_port = servers[i].port;
    }
    if (int rc = ares_set_servers_ports(channel->channel_, nodes.data()); rc != ARES_SUCCESS) {
      return core::fail(Errc::system,
                        std::string("cannot use the DNS servers: ") + ares_strerror(rc));
    }
  }
  return channel;
}

AresChannel::~AresChannel() {
  closing_ = true;
  for (auto& [fd, watch] : watches_) {
    watch->stop();  // before c-ares closes the sockets
  }
  watches_.clear();
  if (channel_ != nullptr) {
    ares_destroy(channel_);  // completes pending queries with ARES_EDESTRUCTION
  }
}

asio::awaitable<RawReply> AresChannel::query(std::string name, std::uint16_t type) {
  auto pending = std::make_shared<Pending>(executor_);
  pending->signal.expires_after(timeout_);
  // The query asks for the AD bit (RFC 6840 §5.7): a validating resolver then says whether it
  // authenticated the answer, which DANE needs; other resolvers ignore the bit.
  unsigned char* question = nullptr;
  int length = 0;
  const int made = ares_create_query(name.c_str(), 1 /* IN */, type, 0, 1 /* RD */, &question,
                                     &length, 0 /* no EDNS */);
  if (made != ARES_SUCCESS || question == nullptr || length < kAdFlagOffset + 1) {
    if (question != nullptr) {
      ares_free_string(question);
    }
    RawReply failed;
    failed.status = made != ARES_SUCCESS ? made : ARES_EBADQUERY;
    co_return failed;
  }
  question[kAdFlagOffset] = static_cast<unsigned char>(question[kAdFlagOffset] | kAdFlag);
  // The callback owns one reference, so a reply after our deadline has somewhere to go.
  ares_send(channel_, question, length, &AresChannel::on_reply,
            new std::shared_ptr<Pending>(pending));
  ares_free_string(question);
  arm_timer();
  if (!pending->done) {
    boost::system::error_code ec;
    co_await pending->signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  RawReply reply;
  reply.timed_out = !pending->done;
  reply.status = pending->status;
  reply.bytes = std::move(pending->bytes);
  co_return reply;
}

void AresChannel::on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<std::shared_ptr<Pending>> holder(static_cast<std::shared_ptr<Pending>*>(arg));
  Pending& pending = **holder;
  pending.done = true;
  pending.status = status;
  if (abuf != nullptr && alen > 0) {
    pending.bytes.assign(abuf, abuf + alen);
  }
  pending.signal.cancel();
}

void AresChannel::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<AresChannel*>(data)->set_watch(fd, readable != 0, writable != 0);
}

void AresChannel::set_watch(int fd, bool readable, bool writable) {
  if (closing_) {
    return;
  }
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close the socket: stop watching it (waits end with operation_aborted).
    if (it != watches_.end()) {
      it->second->stop();
      watches_.erase(it);
    }
    return;
  }
  if (it == watches_.end()) {
    it = watches_.emplace(fd, std::make_shared<Watch>(executor_, fd)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  arm(it->second);
}

void AresChannel::arm(const std::shared_ptr<Watch>& watch) {
  using Wait = asio::posix::stream_descriptor::wait_type;
  std::weak_ptr<AresChannel> self = weak_from_this();
  if (watch->want_read && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(Wait::wait_read, [self, watch](boost::system::error_code ec) {
      watch->reading = false;
      if (ec || watch->closed) {
        return;
      }
      if (auto channel = self.lock()) {
        channel->on_ready(watch, true);
      }
    });
  }
  if (watch->want_write && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(Wait::wait_write, [self, watch](boost::system::error_code ec) {
      watch->writing = false;
      if (ec || watch->closed) {
        return;
      }
      if (auto channel = self.lock()) {
        channel->on_ready(watch, false);
      }
    });
  }
}

void AresChannel::on_ready(const std::shared_ptr<Watch>& watch, bool readable) {
  const int fd = watch->fd;
  // Asio's epoll reactor is edge-triggered and c-ares reads a TCP socket once per call: keep
  // going while data is waiting, or the rest of an answer would wait for an edge that never
  // comes.
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, readable ? ARES_SOCKET_BAD : fd);
    if (!readable || watch->closed || !readable_now(fd)) {
      break;
    }
  }
  if (!watch->closed) {
    arm(watch);
  }
  arm_timer();
}

void AresChannel::arm_timer() {
  timeval delay{};
  if (ares_timeout(channel_, nullptr, &delay) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(delay.tv_sec) +
                       std::chrono::microseconds(delay.tv_usec));
  std::weak_ptr<AresChannel> self = weak_from_this();
  timer_.async_wait([self](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    if (auto channel = self.lock()) {
      ares_process_fd(channel->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      channel->arm_timer();
    }
  });
}

}  // namespace mtasts::net
