// A trivial socketmap server: epoll, non-blocking sockets, and a fixed reply from memory for
// every request. It does no lookup at all, so its throughput with a given load generator is the
// limit any real policy server can reach on the same machine (the "trivial" column of
// docs/benchmarks.md).
//
//   socketmap_trivial_server --listen 127.0.0.1:8461 [--threads 1]
//       [--reply "OK secure match=mx.bulk.test servername=hostname"]
//       [--notfound-substring nopol] [--max-seconds 3600]
//
// Requests are netstrings "<map> <key>"; pipelined requests are answered in order. A key that
// contains --notfound-substring gets "NOTFOUND " instead of the reply. The server exits on
// SIGTERM/SIGINT or after --max-seconds.

#include <signal.h>
#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_io.hpp"

namespace {

using mtasts_bench::Endpoint;
using mtasts_bench::NetstringReader;

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}

struct Options {
  std::string listen = "127.0.0.1:8461";
  std::string reply = "OK secure match=mx.bulk.test servername=hostname";
  std::string notfound_substring;
  unsigned threads = 1;
  unsigned max_seconds = 3600;
};

struct Conn {
  explicit Conn(int f) : fd(f), reader(10000) {}
  int fd;
  NetstringReader reader;
  std::string out;
  std::size_t out_pos = 0;
  bool want_out = false;
};

int make_listener(const Endpoint& ep) {
  const int fd = socket(ep.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ep.family == AF_INET) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0 || listen(fd, 4096) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class Loop {
 public:
  Loop(const Options& opt, int listener) : opt_(opt), listener_(listener) {
    notfound_ = "NOTFOUND ";
  }

  int run() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, listener_, &ev);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opt_.max_seconds);
    std::vector<epoll_event> events(256);
    while (!g_stop.load() && std::chrono::steady_clock::now() < deadline) {
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 200);
      for (int i = 0; i < n; ++i) {
        const auto& e = events[static_cast<std::size_t>(i)];
        if (e.data.fd == listener_) {
          accept_all();
        } else {
          serve(e.data.fd, e.events);
        }
      }
    }
    for (auto& [fd, c] : conns_) {
      close(fd);
    }
    close(epfd_);
    return 0;
  }

 private:
  void accept_all() {
    while (true) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        continue;
      }
      conns_.emplace(fd, std::make_unique<Conn>(fd));
    }
  }

  void drop(int fd) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  void serve(int fd, std::uint32_t events) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) {
      return;
    }
    Conn& c = *it->second;
    if ((events & EPOLLIN) != 0U || (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0U) {
      char buf[65536];
      while (true) {
        const ssize_t r = read(fd, buf, sizeof(buf));
        if (r > 0) {
          c.reader.feed(buf, static_cast<std::size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          drop(fd);
          return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break;
        }
      }
      std::string_view payload;
      while (true) {
        const auto st = c.reader.next(payload);
        if (st == NetstringReader::Status::need_more) {
          break;
        }
        if (st == NetstringReader::Status::bad) {
          drop(fd);
          return;
        }
        const auto sp = payload.find(' ');
        const std::string_view key =
            sp == std::string_view::npos ? std::string_view() : payload.substr(sp + 1);
        const bool nf = !opt_.notfound_substring.empty() &&
                        key.find(opt_.notfound_substring) != std::string_view::npos;
        mtasts_bench::append_netstring(c.out, nf ? notfound_ : opt_.reply);
      }
    }
    flush(c);
  }

  void flush(Conn& c) {
    while (c.out_pos < c.out.size()) {
      const ssize_t w = write(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
      if (w > 0) {
        c.out_pos += static_cast<std::size_t>(w);
        continue;
      }
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      }
      if (w < 0 && errno == EINTR) {
        continue;
      }
      drop(c.fd);
      return;
    }
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
    }
    const bool want = c.out_pos < c.out.size();
    if (want != c.want_out) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | (want ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
      ev.data.fd = c.fd;
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
      c.want_out = want;
    }
  }

  const Options& opt_;
  int listener_;
  int epfd_ = -1;
  std::string notfound_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
};

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) {
      return false;
    }
    const char* v = argv[++i];
    if (a == "--listen") {
      opt.listen = v;
    } else if (a == "--reply") {
      opt.reply = v;
    } else if (a == "--notfound-substring") {
      opt.notfound_substring = v;
    } else if (a == "--threads") {
      opt.threads = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (a == "--max-seconds") {
      opt.max_seconds = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else {
      return false;
    }
  }
  return opt.threads >= 1 && opt.threads <= 64 && opt.max_seconds >= 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: %s [--listen HOST:PORT|/path] [--threads N] [--reply TEXT]\n"
                 "          [--notfound-substring S] [--max-seconds N]\n",
                 argv[0]);
    return 2;
  }
  const auto ep = mtasts_bench::parse_endpoint(opt.listen);
  if (!ep) {
    std::fprintf(stderr, "bad --listen %s\n", opt.listen.c_str());
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  if (ep->family == AF_UNIX) {
    unlink(opt.listen.c_str());
  }
  std::vector<int> listeners;
  // One listener per thread on TCP (SO_REUSEPORT spreads connections); UNIX sockets share one.
  for (unsigned t = 0; t < opt.threads; ++t) {
    if (ep->family == AF_UNIX && t > 0) {
      listeners.push_back(listeners.front());
      continue;
    }
    const int fd = make_listener(*ep);
    if (fd < 0) {
      std::perror("listen");
      return 1;
    }
    listeners.push_back(fd);
  }
  std::printf("listening on %s with %u thread(s)\n", opt.listen.c_str(), opt.threads);
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < opt.threads; ++t) {
    threads.emplace_back([&opt, fd = listeners[t]] { Loop(opt, fd).run(); });
  }
  const int rc = Loop(opt, listeners.front()).run();
  for (auto& th : threads) {
    th.join();
  }
  return rc;
}
