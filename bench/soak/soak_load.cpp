// The soak's socketmap client: a steady, open-loop rate of requests over N connections, each
// with one request outstanding (as Postfix's smtp client), every reply compared with the
// expected one for its key. Built by bench/soak/soak.py (not by CMake: the soak is not part of
// the product's build).
//
//   soak_load --connect 127.0.0.1:18801 --keys FILE --rate 2000 --connections 50
//       --duration 600 --deadline 4 --events EVENTS.jsonl
//
// FILE: one key per line, `CLASS<TAB>KEY<TAB>EXPECTED REPLY`. A KEY holding `{n}` is a template:
// every use replaces `{n}` with the next number modulo --pool (a pool of names that cycle, so
// names go cold again as their negative TTL passes, but the daemon's cache stays bounded). Keys
// are used in file order, cyclically; the driver writes the mix it wants.
//
// Request i is due at start + i / rate; it goes out on the next connection with nothing
// outstanding. When every connection is busy, due requests wait; more than --connections of them
// waiting are dropped from the schedule and counted as `shed` (the load fell behind: a slow
// server, not a wrong one).
//
// EVENTS gets one JSON line per reply that differs from the expected one, per reply later than
// --deadline seconds, per request lost with its connection, and per failed connect (at most one
// a second per connection), each with `t`, CLOCK_MONOTONIC seconds (the driver's fault windows
// use the same clock). Stdout gets a JSON progress line each second and a summary at the end.
// A closed connection is opened again at once, then at most every 50 ms.

#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
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
  std::string connect;
  std::string keys_file;
  std::string events_file;
  std::string map = "postfix";
  unsigned connections = 50;
  double rate = 1000.0;
  double duration = 60.0;
  double deadline = 4.0;
  unsigned pool = 2000;
};

struct Key {
  std::string cls;
  std::string key;
  std::string expected;
  bool templated = false;
};

enum class ConnState { closed, connecting, ready, busy };

struct Conn {
  Conn() : reader(100000) {}
  int fd = -1;
  ConnState state = ConnState::closed;
  NetstringReader reader;
  std::string out;
  std::size_t out_pos = 0;
  Clock::time_point sent{};
  Clock::time_point retry_at{};
  Clock::time_point last_connect_error{};
  std::size_t key_index = 0;
  std::string key;
};

struct ClassStats {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t expected = 0;
  std::uint64_t other = 0;
  std::uint64_t late = 0;
  std::uint64_t lost = 0;
  std::uint64_t max_us = 0;
};

double mono_seconds(Clock::time_point t) {
  // steady_clock is CLOCK_MONOTONIC on Linux, as Python's time.monotonic().
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

class Soak {
 public:
  Soak(const Options& opt, const Endpoint& ep, std::vector<Key> keys, std::FILE* events)
      : opt_(opt), ep_(ep), keys_(std::move(keys)), events_(events), conns_(opt.connections) {}

  int run() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      std::perror("epoll_create1");
      return 1;
    }
    start_ = Clock::now();
    const auto stop_issuing = start_ + seconds(opt_.duration);
    const auto hard = stop_issuing + seconds(opt_.deadline + 2.0);
    auto next_progress = start_ + seconds(1.0);
    std::vector<epoll_event> events(256);
    while (true) {
      const auto now = Clock::now();
      if (now >= hard || (now >= stop_issuing && outstanding() == 0)) {
        break;
      }
      reconnect(now);
      if (now < stop_issuing) {
        issue(now);
      }
      check_overdue(now);
      if (now >= next_progress) {
        progress(now);
        next_progress += seconds(1.0);
      }
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 1);
      for (int k = 0; k < n; ++k) {
        const auto& e = events[static_cast<std::size_t>(k)];
        on_event(static_cast<std::size_t>(e.data.u64), e.events);
      }
    }
    const auto end = Clock::now();
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].state == ConnState::busy) {
        unanswered_ += 1;
        event(end, "unanswered", conns_[i], "");
      }
      if (conns_[i].fd >= 0) {
        close(conns_[i].fd);
      }
    }
    close(epfd_);
    summary(end);
    return 0;
  }

 private:
  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  std::size_t outstanding() const {
    return static_cast<std::size_t>(std::count_if(
        conns_.begin(), conns_.end(), [](const Conn& c) { return c.state == ConnState::busy; }));
  }

  void reconnect(Clock::time_point now) {
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      auto& c = conns_[i];
      if (c.state != ConnState::closed || now < c.retry_at) {
        continue;
      }
      c.fd = socket(ep_.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (c.fd < 0) {
        connect_failed(i, now, "socket");
        continue;
      }
      const int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&ep_.addr), ep_.len);
      if (r != 0 && errno != EINPROGRESS) {
        connect_failed(i, now, std::strerror(errno));
        continue;
      }
      mtasts_bench::set_nodelay(c.fd, ep_);
      c.state = r == 0 ? ConnState::ready : ConnState::connecting;
      c.reader = NetstringReader(100000);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | (r == 0 ? 0U : static_cast<std::uint32_t>(EPOLLOUT));
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
    }
  }

  void connect_failed(std::size_t i, Clock::time_point now, const char* why) {
    auto& c = conns_[i];
    if (c.fd >= 0) {
      close(c.fd);
      c.fd = -1;
    }
    c.state = ConnState::closed;
    c.retry_at = now + seconds(0.05);
    ++connect_errors_;
    if (now - c.last_connect_error >= seconds(1.0)) {
      c.last_connect_error = now;
      std::fprintf(events_,
                   "{\"t\": %.6f, \"kind\": \"connect-failed\", \"conn\": %zu, "
                   "\"why\": \"%s\"}\n",
                   mono_seconds(now), i, json_escape(why).c_str());
    }
  }

  void issue(Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto due_total = static_cast<std::uint64_t>(elapsed * opt_.rate);
    std::uint64_t due = due_total > scheduled_ ? due_total - scheduled_ : 0;
    if (due > conns_.size()) {
      shed_ += due - conns_.size();
      scheduled_ += due - conns_.size();
      due = conns_.size();
    }
    for (std::size_t i = 0; i < conns_.size() && due > 0; ++i) {
      auto idx = (rr_ + i) % conns_.size();
      if (conns_[idx].state != ConnState::ready) {
        continue;
      }
      send(idx, now);
      --due;
      ++scheduled_;
    }
    rr_ = (rr_ + 1) % conns_.size();
  }

  void send(std::size_t i, Clock::time_point now) {
    auto& c = conns_[i];
    const std::size_t k = cursor_++ % keys_.size();
    const Key& key = keys_[k];
    c.key_index = k;
    c.key = key.key;
    if (key.templated) {
      const auto pos = c.key.find("{n}");
      c.key.replace(pos, 3, std::to_string(pool_next_++ % opt_.pool));
    }
    std::string payload = opt_.map;
    payload += ' ';
    payload += c.key;
    mtasts_bench::append_netstring(c.out, payload);
    c.sent = now;
    c.state = ConnState::busy;
    ++stats_[key.cls].sent;
    ++sent_;
    flush(i, now);
  }

  void flush(std::size_t i, Clock::time_point now) {
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
        drop(i, now, std::strerror(errno));
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

  // The connection ended (closed by the server, reset, or a write failed): a request on it is
  // lost. It is opened again at once.
  void drop(std::size_t i, Clock::time_point now, const char* why) {
    auto& c = conns_[i];
    if (c.state == ConnState::busy) {
      auto& st = stats_[keys_[c.key_index].cls];
      ++st.lost;
      ++lost_;
      event(now, "lost", c, why);
    }
    if (c.fd >= 0) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
      c.fd = -1;
    }
    c.out.clear();
    c.out_pos = 0;
    c.state = ConnState::closed;
    c.retry_at = now;
    ++closed_;
  }

  void check_overdue(Clock::time_point now) {
    // A request past its deadline is reported once, when it is answered or lost; one past
    // deadline + 2 s is given up: reported unanswered, its connection closed and opened again.
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      auto& c = conns_[i];
      if (c.state == ConnState::busy && now - c.sent > seconds(opt_.deadline + 2.0)) {
        ++unanswered_;
        ++stats_[keys_[c.key_index].cls].late;
        event(now, "unanswered", c, "");
        c.state = ConnState::ready;  // so drop() does not count it lost as well
        drop(i, now, "given up");
      }
    }
  }

  void event(Clock::time_point now, const char* kind, const Conn& c, std::string_view detail) {
    const Key& key = keys_[c.key_index];
    const double latency = std::chrono::duration<double>(now - c.sent).count();
    std::fprintf(events_,
                 "{\"t\": %.6f, \"sent\": %.6f, \"kind\": \"%s\", \"class\": \"%s\", "
                 "\"key\": \"%s\", \"latency\": %.6f, \"detail\": \"%s\"}\n",
                 mono_seconds(now), mono_seconds(c.sent), kind, key.cls.c_str(),
                 json_escape(c.key).c_str(), latency, json_escape(detail).c_str());
  }

  void on_event(std::size_t i, std::uint32_t events) {
    auto& c = conns_[i];
    const auto now = Clock::now();
    if (c.state == ConnState::closed) {
      return;
    }
    if (c.state == ConnState::connecting) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0U) {
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
        connect_failed(i, now, std::strerror(err != 0 ? err : ECONNRESET));
        return;
      }
      c.state = ConnState::ready;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = i;
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
      return;
    }
    if ((events & EPOLLOUT) != 0U) {
      flush(i, now);
      if (c.state == ConnState::closed) {
        return;
      }
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
    std::string_view payload;
    while (true) {
      const auto status = c.reader.next(payload);
      if (status == NetstringReader::Status::need_more) {
        break;
      }
      if (status == NetstringReader::Status::bad || c.state != ConnState::busy) {
        event(now, "bad-reply", c, "framing or unsolicited reply");
        ++bad_replies_;
        closed = true;
        break;
      }
      answered(c, payload, now);
    }
    if (closed) {
      drop(i, now, "closed by the server");
    }
  }

  void answered(Conn& c, std::string_view reply, Clock::time_point now) {
    const Key& key = keys_[c.key_index];
    auto& st = stats_[key.cls];
    ++st.answered;
    ++answered_;
    const auto us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count());
    st.max_us = std::max(st.max_us, us);
    if (reply == key.expected) {
      ++st.expected;
    } else {
      ++st.other;
      event(now, "reply", c, reply);
    }
    if (now - c.sent > seconds(opt_.deadline)) {
      ++st.late;
      event(now, "late", c, reply);
    }
    c.state = ConnState::ready;
  }

  void progress(Clock::time_point now) {
    std::printf(
        "{\"progress\": true, \"t\": %.3f, \"sent\": %llu, \"answered\": %llu, "
        "\"lost\": %llu, \"shed\": %llu, \"connect_errors\": %llu}\n",
        mono_seconds(now), static_cast<unsigned long long>(sent_),
        static_cast<unsigned long long>(answered_), static_cast<unsigned long long>(lost_),
        static_cast<unsigned long long>(shed_), static_cast<unsigned long long>(connect_errors_));
    std::fflush(stdout);
    std::fflush(events_);
  }

  void summary(Clock::time_point end) {
    const double secs = std::chrono::duration<double>(end - start_).count();
    std::string classes;
    for (const auto& [name, st] : stats_) {
      if (!classes.empty()) {
        classes += ", ";
      }
      char buf[512];
      std::snprintf(buf, sizeof(buf),
                    "\"%s\": {\"sent\": %llu, \"answered\": %llu, \"expected\": %llu, "
                    "\"other\": %llu, \"late\": %llu, \"lost\": %llu, \"max_ms\": %.1f}",
                    name.c_str(), static_cast<unsigned long long>(st.sent),
                    static_cast<unsigned long long>(st.answered),
                    static_cast<unsigned long long>(st.expected),
                    static_cast<unsigned long long>(st.other),
                    static_cast<unsigned long long>(st.late),
                    static_cast<unsigned long long>(st.lost), static_cast<double>(st.max_us) / 1e3);
      classes += buf;
    }
    std::printf(
        "{\"summary\": true, \"seconds\": %.3f, \"rate\": %.1f, \"sent\": %llu, "
        "\"answered\": %llu, \"lost\": %llu, \"unanswered\": %llu, \"shed\": %llu, "
        "\"connect_errors\": %llu, \"reconnects\": %llu, \"bad_replies\": %llu, "
        "\"classes\": {%s}}\n",
        secs, opt_.rate, static_cast<unsigned long long>(sent_),
        static_cast<unsigned long long>(answered_), static_cast<unsigned long long>(lost_),
        static_cast<unsigned long long>(unanswered_), static_cast<unsigned long long>(shed_),
        static_cast<unsigned long long>(connect_errors_), static_cast<unsigned long long>(closed_),
        static_cast<unsigned long long>(bad_replies_), classes.c_str());
    std::fflush(stdout);
    std::fflush(events_);
  }

  const Options& opt_;
  Endpoint ep_;
  std::vector<Key> keys_;
  std::FILE* events_;
  std::vector<Conn> conns_;
  std::map<std::string, ClassStats> stats_;
  int epfd_ = -1;
  Clock::time_point start_{};
  std::uint64_t scheduled_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t unanswered_ = 0;
  std::uint64_t shed_ = 0;
  std::uint64_t connect_errors_ = 0;
  std::uint64_t closed_ = 0;
  std::uint64_t bad_replies_ = 0;
  std::uint64_t pool_next_ = 0;
  std::size_t cursor_ = 0;
  std::size_t rr_ = 0;
};

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--connect") {
      opt.connect = v;
    } else if (a == "--keys") {
      opt.keys_file = v;
    } else if (a == "--events") {
      opt.events_file = v;
    } else if (a == "--map") {
      opt.map = v;
    } else if (a == "--connections") {
      opt.connections = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (a == "--rate") {
      opt.rate = std::strtod(v, nullptr);
    } else if (a == "--duration") {
      opt.duration = std::strtod(v, nullptr);
    } else if (a == "--deadline") {
      opt.deadline = std::strtod(v, nullptr);
    } else if (a == "--pool") {
      opt.pool = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !opt.connect.empty() && !opt.keys_file.empty() &&
         !opt.events_file.empty() && opt.connections >= 1 && opt.connections <= 5000 &&
         opt.rate > 0 && opt.duration > 0 && opt.deadline > 0 && opt.pool >= 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: %s --connect HOST:PORT --keys FILE --events FILE [--rate R]\n"
                 "          [--connections N] [--duration S] [--deadline S] [--pool N]\n",
                 argv[0]);
    return 2;
  }
  const auto ep = mtasts_bench::parse_endpoint(opt.connect);
  if (!ep) {
    std::fprintf(stderr, "bad --connect %s\n", opt.connect.c_str());
    return 2;
  }
  std::ifstream in(opt.keys_file);
  std::vector<Key> keys;
  for (std::string line; std::getline(in, line);) {
    const auto t1 = line.find('\t');
    const auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) {
      continue;
    }
    Key k{line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1), false};
    k.templated = k.key.find("{n}") != std::string::npos;
    keys.push_back(std::move(k));
  }
  if (keys.empty()) {
    std::fprintf(stderr, "no keys in %s\n", opt.keys_file.c_str());
    return 2;
  }
  std::FILE* events = std::fopen(opt.events_file.c_str(), "w");
  if (events == nullptr) {
    std::perror(opt.events_file.c_str());
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  Soak soak(opt, *ep, std::move(keys), events);
  const int rc = soak.run();
  std::fclose(events);
  return rc;
}
