// One connection of SmtpServer: the session's actions carried out (replies written in order and
// together, the handler awaited for recipients and messages), the deadlines of
// SmtpServerOptions kept by a watchdog, and the 421 of a drain or a timeout.

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string>
#include <vector>

#include "smtp/smtp_server_state.hpp"

namespace mtasts::net::detail {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using State = SmtpServer::State;

constexpr std::size_t kReadChunk = 16 * 1024;
// Replies of pipelined commands are written together, but never more than this at once.
constexpr std::size_t kFlushAt = 64 * 1024;

// Writes `out` within the write timeout and clears it; false when the connection failed or
// timed out. A reply the socket takes at once needs no asynchronous operation.
asio::awaitable<bool> write_out(State& state, SmtpConnection& conn, std::string& out) {
  boost::system::error_code ec;
  const std::size_t sent = conn.socket.write_some(asio::buffer(out), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    co_return false;
  }
  if (!ec && sent == out.size()) {
    out.clear();
    co_return true;
  }
  const std::size_t done = ec ? 0 : sent;
  const auto previous = conn.deadline;
  conn.set_deadline(SteadyClock::now() + state.options.write_timeout);
  conn.writing = true;
  co_await asio::async_write(conn.socket, asio::buffer(out.data() + done, out.size() - done),
                             asio::redirect_error(use_awaitable, ec));
  conn.writing = false;
  conn.set_deadline(previous);
  out.clear();
  co_return !ec && conn.open;
}

asio::awaitable<void> watchdog(std::shared_ptr<State> state, std::shared_ptr<SmtpConnection> conn) {
  while (conn->open) {
    const SteadyClock::time_point deadline = conn->deadline;
    if (deadline <= SteadyClock::now()) {
      conn->timed_out = true;
      ++state->stats.timeouts;
      if (!conn->writing && conn->phase != SmtpConnection::Phase::busy) {
        send_best_effort(*conn, conn->session.stop(core::SmtpStop::timeout));
      }
      conn->close();
      co_return;
    }
    conn->timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await conn->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

// Where carrying out the session's actions stopped.
enum class Step {
  read,   // the session needs bytes
  close,  // the session ended, or the connection broke
};

// Writes `out` when it holds replies; false when the connection failed.
asio::awaitable<bool> flush(State& state, SmtpConnection& conn, std::string& out) {
  if (out.empty()) {
    co_return true;
  }
  const bool written = co_await write_out(state, conn, out);
  co_return written;
}

// Carries out actions until the session needs bytes, appending replies to `out`; they are
// written before each handler call (which may take its time) and by the caller at the end.
asio::awaitable<Step> run_actions(State& state, SmtpConnection& conn, std::string& out) {
  for (;;) {
    core::SmtpAction action = conn.session.next();
    switch (action.kind) {
      case core::SmtpAction::Kind::need_more:
        co_return Step::read;
      case core::SmtpAction::Kind::reply:
        out += action.text;
        if (out.size() >= kFlushAt) {
          const bool written = co_await write_out(state, conn, out);
          if (!written) {
            co_return Step::close;
          }
        }
        break;
      case core::SmtpAction::Kind::check_recipient: {
        // The replies so far go out first: the handler may take its time.
        const bool flushed = co_await flush(state, conn, out);
        if (!flushed) {
          co_return Step::close;
        }
        conn.phase = SmtpConnection::Phase::busy;
        conn.set_deadline(SteadyClock::time_point::max());
        const core::RecipientVerdict verdict =
            co_await state.handler.check_recipient(std::move(action.text));
        if (verdict.verdict != core::Verdict::accept) {
          ++state.stats.rejected_recipients;
        }
        conn.session.answer_recipient(verdict);
        break;
      }
      case core::SmtpAction::Kind::deliver: {
        const bool flushed = co_await flush(state, conn, out);
        if (!flushed) {
          co_return Step::close;
        }
        conn.phase = SmtpConnection::Phase::busy;
        conn.set_deadline(SteadyClock::time_point::max());
        ++state.stats.messages;
        const std::vector<core::DeliveryVerdict> verdicts =
            co_await state.handler.deliver(std::move(action.envelope));
        conn.session.answer_delivery(verdicts);
        break;
      }
      case core::SmtpAction::Kind::close:
        co_return Step::close;
    }
    if (!conn.open) {
      co_return Step::close;  // closed meanwhile: a drain's timeout, or the server destroyed
    }
  }
}

asio::awaitable<void> exchange(State& state, SmtpConnection& conn) {
  std::array<char, kReadChunk> buffer{};
  std::string out;
  std::size_t errors_counted = 0;
  std::optional<SteadyClock::time_point> data_started;
  for (;;) {
    const Step step = co_await run_actions(state, conn, out);
    state.stats.errors += conn.session.errors() - errors_counted;
    errors_counted = conn.session.errors();
    const bool replied = !out.empty();
    if (replied) {
      const bool written = co_await write_out(state, conn, out);
      if (!written) {
        co_return;
      }
    }
    if (step == Step::close || !conn.open) {
      co_return;
    }
    const auto now = SteadyClock::now();
    if (conn.session.phase() == core::SmtpPhase::data) {
      // RFC 5321 §4.5.3.2.5-6: per-read and whole-message deadlines.
      data_started = data_started.value_or(now);
      conn.phase = SmtpConnection::Phase::receiving;
      conn.set_deadline(
          std::min(now + state.options.idle_timeout, *data_started + state.options.data_timeout));
    } else {
      data_started.reset();
      const bool partial = conn.session.partial_command();
      if (state.draining && !partial) {
        std::string bye = conn.session.stop(core::SmtpStop::shutdown);
        const bool written = co_await write_out(state, conn, bye);
        (void)written;
        co_return;
      }
      // A command must arrive whole within idle_timeout of the previous reply, however
      // steadily its bytes trickle in.
      if (replied || !partial) {
        conn.set_deadline(now + state.options.idle_timeout);
      }
      if (replied) {
        state.activity.touch(conn);
      }
      conn.phase = partial ? SmtpConnection::Phase::receiving : SmtpConnection::Phase::reading;
    }
    boost::system::error_code ec;
    const std::size_t n = co_await conn.socket.async_read_some(
        asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
    if (ec || n == 0) {
      co_return;
    }
    conn.session.feed(std::string_view(buffer.data(), n));
  }
}

asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<SmtpConnection> conn) {
  try {
    co_await exchange(*state, *conn);
  } catch (const std::exception& e) {
    state->log.log(LogLevel::warn, "smtp-connection-error", {{"error", e.what()}});
  }
  conn->close();
  state->connections.erase(conn.get());
  state->stats.active = state->connections.size();
  if (state->draining && state->connections.empty()) {
    state->drained->publish({});
  }
}

}  // namespace

void send_best_effort(SmtpConnection& conn, const std::string& text) {
  if (!conn.open || text.empty()) {
    return;
  }
  boost::system::error_code ignored;
  (void)conn.socket.write_some(asio::buffer(text), ignored);
}

void start_smtp_connection(const std::shared_ptr<State>& state,
                           std::shared_ptr<SmtpConnection> conn) {
  boost::system::error_code ignored;
  // Synchronous sends return would_block instead of blocking (write_out, send_best_effort).
  conn->socket.non_blocking(true, ignored);
  conn->deadline = SteadyClock::now() + state->options.idle_timeout;
  asio::co_spawn(state->executor, watchdog(state, conn), asio::detached);
  asio::co_spawn(state->executor, serve(state, std::move(conn)), asio::detached);
}

}  // namespace mtasts::net::detail
