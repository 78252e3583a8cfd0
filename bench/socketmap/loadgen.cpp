// A socketmap load generator: N connections to a policy server, each sending netstring requests
// "<map> <key>" and timing every reply. By default each connection keeps one request
// outstanding and waits for its reply before sending the next, as Postfix's smtp client does
// with smtp_tls_policy_maps; --depth D pipelines D requests per connection.
//
//   socketmap_loadgen --connect 127.0.0.1:8461 --keys FILE [--connections 8] [--depth 1]
//       [--duration 10 | --requests N | --once] [--map postfix] [--timeout 10] [--json]
//
// Keys come from FILE, one per line. Connection i starts at key i*len/N and walks the list
// cyclically; with --once every key is asked exactly once over all connections (a cold start:
// each key goes to the next connection that is free). Every run is bounded: by --duration
// seconds or --requests replies, and in any case by --duration + --timeout seconds of wall time.
// Prints throughput, latency percentiles and the count of replies by status word.

#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_io.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using mtasts_bench::Endpoint;
using mtasts_bench::NetstringReader;

struct Options {
  std::string connect = "127.0.0.1:8461";
  std::string keys_file;
  std::string map = "postfix";
  unsigned connections = 8;
  unsigned depth = 1;
  double duration = 10.0;
  std::uint64_t requests = 0;
  bool once = false;
  double timeout = 10.0;
  bool json = false;
};

struct Conn {
  Conn() : reader(100000) {}
  int fd = -1;
  bool alive = false;
  NetstringReader reader;
  std::string out;
  std::size_t out_pos = 0;
  std::deque<Clock::time_point> sent;  // send times of outstanding requests, in order
  std::size_t cursor = 0;
};

struct Stats {
  std::vector<std::uint64_t> latency_ns;
  std::map<std::string, std::uint64_t> replies;
  std::uint64_t errors = 0;      // requests lost to a closed or failed connection
  std::uint64_t unanswered = 0;  // still outstanding at the hard deadline
  Clock::time_point first_send{};
  Clock::time_point last_reply{};
};

class Generator {
 public:
  Generator(const Options& opt, const Endpoint& ep, std::vector<std::string> keys)
      : opt_(opt), ep_(ep), keys_(std::move(keys)), conns_(opt.connections) {}

  int run(Stats& st) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0 || !connect_all()) {
      return 1;
    }
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].cursor = opt_.once ? 0 : i * keys_.size() / conns_.size();
    }
    st.latency_ns.reserve(opt_.requests > 0 ? opt_.requests : 1 << 20);
    start_ = Clock::now();
    st.first_send = start_;
    stop_issuing_ = start_ + to_duration(opt_.duration);
    const auto hard = stop_issuing_ + to_duration(opt_.timeout);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      fill(i, st);
    }
    std::vector<epoll_event> events(256);
    while (outstanding_ > 0 || can_issue()) {
      const auto now = Clock::now();
      if (now >= hard) {
        break;
      }
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 50);
      for (int k = 0; k < n; ++k) {
        const auto& e = events[static_cast<std::size_t>(k)];
        on_event(static_cast<std::size_t>(e.data.u64), e.events, st);
      }
      if (!any_alive()) {
        break;
      }
    }
    st.unanswered = outstanding_;
    for (auto& c : conns_) {
      if (c.fd >= 0) {
        close(c.fd);
      }
    }
    close(epfd_);
    return 0;
  }

 private:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  bool connect_all() {
    const auto deadline = Clock::now() + to_duration(opt_.timeout);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      auto& c = conns_[i];
      c.fd = socket(ep_.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c.fd < 0) {
        std::perror("socket");
        return false;
      }
      // Blocking connect, bounded by SO_SNDTIMEO: connections are set up before the clock starts.
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(opt_.timeout);
      setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      if (connect(c.fd, reinterpret_cast<const sockaddr*>(&ep_.addr), ep_.len) != 0) {
        std::perror("connect");
        return false;
      }
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "connecting took longer than --timeout\n");
        return false;
      }
      mtasts_bench::set_nonblocking(c.fd);
      mtasts_bench::set_nodelay(c.fd, ep_);
      c.alive = true;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
    }
    return true;
  }

  bool any_alive() const {
    return std::any_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.alive; });
  }

  bool can_issue() const {
    if (opt_.once) {
      return next_once_ < keys_.size() && any_alive();
    }
    if (opt_.requests > 0 && issued_ >= opt_.requests) {
      return false;
    }
    return Clock::now() < stop_issuing_ && any_alive();
  }

  void fill(std::size_t i, Stats& st) {
    auto& c = conns_[i];
    if (!c.alive) {
      return;
    }
    bool added = false;
    while (c.sent.size() < opt_.depth && can_issue()) {
      const std::string& key = opt_.once ? keys_[next_once_++] : keys_[c.cursor++ % keys_.size()];
      std::string payload = opt_.map;
      payload += ' ';
      payload += key;
      mtasts_bench::append_netstring(c.out, payload);
      c.sent.push_back(Clock::now());
      ++issued_;
      ++outstanding_;
      added = true;
    }
    if (added) {
      flush(i, st);
    }
  }

  void flush(std::size_t i, Stats& st) {
    auto& c = conns_[i];
    while (c.out_pos < c.out.size()) {
      const ssize_t w = write(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
      if (w > 0) {
        c.out_pos += static_cast<std::size_t>(w);
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        fail(i, st);
        return;
      }
    }
    const bool pending = c.out_pos < c.out.size();
    if (!pending) {
      c.out.clear();
      c.out_pos = 0;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (pending ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
    ev.data.u64 = i;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void fail(std::size_t i, Stats& st) {
    auto& c = conns_[i];
    if (!c.alive) {
      return;
    }
    c.alive = false;
    st.errors += c.sent.size();
    outstanding_ -= c.sent.size();
    c.sent.clear();
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  }

  void on_event(std::size_t i, std::uint32_t events, Stats& st) {
    auto& c = conns_[i];
    if (!c.alive) {
      return;
    }
    if ((events & EPOLLOUT) != 0U) {
      flush(i, st);
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0U) {
      return;
    }
    char buf[65536];
    bool closed = false;
    while (true) {
      const ssize_t r = read(c.fd, buf, sizeof(buf));
      if (r > 0) {
        c.reader.feed(buf, static_cast<std::size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) {
        continue;
      }
      closed = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
    const auto now = Clock::now();
    std::string_view payload;
    while (true) {
      const auto status = c.reader.next(payload);
      if (status == NetstringReader::Status::need_more) {
        break;
      }
      if (status == NetstringReader::Status::bad || c.sent.empty()) {
        closed = true;
        break;
      }
      st.latency_ns.push_back(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent.front()).count()));
      c.sent.pop_front();
      --outstanding_;
      st.last_reply = now;
      const auto sp = payload.find(' ');
      ++st.replies[std::string(payload.substr(0, sp))];
    }
    if (closed) {
      fail(i, st);
      return;
    }
    fill(i, st);
  }

  const Options& opt_;
  Endpoint ep_;
  std::vector<std::string> keys_;
  std::vector<Conn> conns_;
  int epfd_ = -1;
  Clock::time_point start_{};
  Clock::time_point stop_issuing_{};
  std::uint64_t issued_ = 0;
  std::uint64_t outstanding_ = 0;
  std::size_t next_once_ = 0;
};

double percentile_us(std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0.0;
  }
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1000.0;
}

void report(const Options& opt, Stats& st) {
  auto& lat = st.latency_ns;
  std::sort(lat.begin(), lat.end());
  const double secs =
      lat.empty() ? 0.0 : std::chrono::duration<double>(st.last_reply - st.first_send).count();
  const double rps = secs > 0 ? static_cast<double>(lat.size()) / secs : 0.0;
  std::string replies;
  for (const auto& [word, n] : st.replies) {
    if (!replies.empty()) {
      replies += ", ";
    }
    replies += "\"" + word + "\": " + std::to_string(n);
  }
  if (opt.json) {
    std::printf(
        "{\"connections\": %u, \"depth\": %u, \"answered\": %zu, \"errors\": %llu, "
        "\"unanswered\": %llu, \"seconds\": %.6f, \"rps\": %.1f, \"p50_us\": %.1f, "
        "\"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
        "\"replies\": {%s}}\n",
        opt.connections, opt.depth, lat.size(), static_cast<unsigned long long>(st.errors),
        static_cast<unsigned long long>(st.unanswered), secs, rps, percentile_us(lat, 0.50),
        percentile_us(lat, 0.90), percentile_us(lat, 0.99), percentile_us(lat, 0.999),
        lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1000.0, replies.c_str());
    return;
  }
  std::printf("connections %u, depth %u: %zu replies in %.3f s = %.0f req/s\n", opt.connections,
              opt.depth, lat.size(), secs, rps);
  std::printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
              percentile_us(lat, 0.50), percentile_us(lat, 0.90), percentile_us(lat, 0.99),
              percentile_us(lat, 0.999),
              lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1000.0);
  std::printf("replies: {%s}; errors %llu, unanswered %llu\n", replies.c_str(),
              static_cast<unsigned long long>(st.errors),
              static_cast<unsigned long long>(st.unanswered));
}

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--once") {
      opt.once = true;
      continue;
    }
    if (a == "--json") {
      opt.json = true;
      continue;
    }
    if (i + 1 >= argc) {
      return false;
    }
    const char* v = argv[++i];
    if (a == "--connect") {
      opt.connect = v;
    } else if (a == "--keys") {
      opt.keys_file = v;
    } else if (a == "--map") {
      opt.map = v;
    } else if (a == "--connections") {
      opt.connections = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (a == "--depth") {
      opt.depth = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (a == "--duration") {
      opt.duration = std::strtod(v, nullptr);
    } else if (a == "--requests") {
      opt.requests = std::strtoull(v, nullptr, 10);
    } else if (a == "--timeout") {
      opt.timeout = std::strtod(v, nullptr);
    } else {
      return false;
    }
  }
  return !opt.keys_file.empty() && opt.connections >= 1 && opt.connections <= 10000 &&
         opt.depth >= 1 && opt.depth <= 1000 && opt.duration > 0 && opt.duration <= 3600 &&
         opt.timeout > 0 && opt.timeout <= 600;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: %s --keys FILE [--connect HOST:PORT|/path] [--connections N]\n"
                 "          [--depth D] [--duration S | --requests N | --once] [--map NAME]\n"
                 "          [--timeout S] [--json]\n",
                 argv[0]);
    return 2;
  }
  const auto ep = mtasts_bench::parse_endpoint(opt.connect);
  if (!ep) {
    std::fprintf(stderr, "bad --connect %s\n", opt.connect.c_str());
    return 2;
  }
  std::ifstream in(opt.keys_file);
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      keys.push_back(line);
    }
  }
  if (keys.empty()) {
    std::fprintf(stderr, "no keys in %s\n", opt.keys_file.c_str());
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  Stats st;
  Generator gen(opt, *ep, std::move(keys));
  if (gen.run(st) != 0) {
    return 1;
  }
  report(opt, st);
  return st.errors > 0 || st.unanswered > 0 ? 3 : 0;
}
