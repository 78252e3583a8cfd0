#include "mtasts/hosting/host_alert.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "mtasts/hosting/host_async.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::milliseconds kWaitStep{50};

core::Result<void> failure(std::string what) {
  return core::fail(core::Errc::invalid_value, std::move(what));
}

// Starts argv[0] with its standard input on `stdin_fd` and its output on /dev/null.
core::Result<pid_t> spawn(const std::vector<std::string>& argv, int stdin_fd) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv.front().c_str(), &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return core::fail(core::Errc::invalid_value,
                      "cannot run " + argv.front() + ": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

asio::awaitable<core::Result<void>> run_alert_command(std::vector<std::string> argv,
                                                      std::string input,
                                                      std::chrono::milliseconds timeout) {
  if (argv.empty()) {
    co_return failure("no command");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    co_return failure(std::string("cannot make a pipe: ") + std::strerror(errno));
  }
  auto started = spawn(argv, fds[0]);
  ::close(fds[0]);
  if (!started) {
    ::close(fds[1]);
    co_return tl::unexpected(started.error());
  }
  const pid_t pid = *started;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto executor = co_await asio::this_coro::executor;
  {
    auto pipe = std::make_shared<asio::posix::stream_descriptor>(executor, fds[1]);
    asio::steady_timer guard(executor, timeout);
    guard.async_wait([pipe](boost::system::error_code ec) {
      if (!ec) {
        pipe->cancel();
      }
    });
    boost::system::error_code ec;
    co_await asio::async_write(*pipe, asio::buffer(input),
                               asio::redirect_error(asio::use_awaitable, ec));
    guard.cancel();
    pipe->close(ec);
    // A command that does not read its input is its own business; its exit status decides.
  }
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (done < 0 && errno != EINTR) {
      co_return failure(std::string("cannot wait for the command: ") + std::strerror(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      co_return failure(argv.front() + " did not finish within " + std::to_string(timeout.count()) +
                        " ms and was killed");
    }
    co_await sleep_for(kWaitStep);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    co_return core::Result<void>();
  }
  if (WIFEXITED(status)) {
    co_return failure(argv.front() + " exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  co_return failure(argv.front() + " ended by signal " + std::to_string(WTERMSIG(status)));
}

core::Result<std::unique_ptr<AlertHook>> AlertHook::create(net::DnsResolver& resolver,
                                                           const AlertSettings& settings,
                                                           std::optional<std::string> ca_file,
                                                           net::Logger& log) {
  std::optional<WebhookUrl> url;
  if (!settings.webhook.empty()) {
    auto parsed = parse_webhook_url(settings.webhook);
    if (!parsed) {
      return core::fail(core::Errc::invalid_value,
                        "monitor.alert.webhook: " + parsed.error().message);
    }
    url = std::move(*parsed);
  }
  return std::unique_ptr<AlertHook>(
      new AlertHook(resolver, settings, std::move(url), std::move(ca_file), log));
}

AlertHook::AlertHook(net::DnsResolver& resolver, AlertSettings settings,
                     std::optional<WebhookUrl> url, std::optional<std::string> ca_file,
                     net::Logger& log)
    : resolver_(resolver),
      settings_(std::move(settings)),
      url_(std::move(url)),
      ca_file_(std::move(ca_file)),
      log_(log) {}

asio::awaitable<void> AlertHook::send(std::string document) {
  if (url_) {
    core::Result<void> posted =
        co_await post_webhook(resolver_, *url_, document, ca_file_, settings_.timeout);
    if (posted) {
      ++counters_.sent;
      log_.log(net::LogLevel::info, "alert-sent", {{"to", "webhook"}});
    } else {
      ++counters_.failed;
      log_.log(net::LogLevel::warn, "alert-failed",
               {{"to", "webhook"}, {"error", posted.error().message}});
    }
  }
  if (!settings_.command.empty()) {
    core::Result<void> ran =
        co_await run_alert_command(settings_.command, document, settings_.timeout);
    if (ran) {
      ++counters_.sent;
      log_.log(net::LogLevel::info, "alert-sent", {{"to", "command"}});
    } else {
      ++counters_.failed;
      log_.log(net::LogLevel::warn, "alert-failed",
               {{"to", "command"}, {"error", ran.error().message}});
    }
  }
}

}  // namespace mtasts::hosting
