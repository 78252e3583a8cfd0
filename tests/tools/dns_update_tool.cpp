// Drives net::DnsUpdater from the command line, for the integration tests against a real
// authoritative server (tests/integration/test_dns_update.py). Not installed.
//
//   dns_update_tool --server IP [--port N] --zone ZONE [--timeout-ms N]
//                   [--key-name NAME --key-alg ALG --key-secret BASE64 | --key-file PATH]
//                   replace OWNER TTL TEXT | remove OWNER
//
// Exit status: 0 the update was applied, 1 it failed (the reason on standard error), 2 usage.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "mtasts/net/dns_update/dns_updater.hpp"

namespace {

namespace asio = boost::asio;
using mtasts::net::DnsUpdateOptions;
using mtasts::net::DnsUpdater;

constexpr int kUsage = 2;

int usage(const std::string& problem) {
  std::fprintf(stderr,
               "dns_update_tool: %s\nusage: dns_update_tool --server IP [--port N] --zone ZONE "
               "[--timeout-ms N] [--key-name NAME --key-alg ALG --key-secret BASE64 | --key-file "
               "PATH] replace OWNER TTL TEXT | remove OWNER\n",
               problem.c_str());
  return kUsage;
}

template <class T>
bool parse_number(const std::string& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

struct Command {
  std::map<std::string, std::string> flags;
  std::vector<std::string> words;
};

Command split(int argc, char** argv) {
  Command command;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--") && i + 1 < argc && command.words.empty()) {
      command.flags[arg.substr(2)] = argv[++i];
    } else {
      command.words.push_back(arg);
    }
  }
  return command;
}

}  // namespace

int main(int argc, char** argv) {
  const Command command = split(argc, argv);
  const auto flag = [&](const std::string& name) {
    const auto it = command.flags.find(name);
    return it == command.flags.end() ? std::string() : it->second;
  };
  DnsUpdateOptions options;
  options.server = flag("server");
  options.zone = flag("zone");
  if (options.server.empty() || options.zone.empty()) {
    return usage("--server and --zone are required");
  }
  if (!flag("port").empty() && !parse_number(flag("port"), options.port)) {
    return usage("--port takes a number");
  }
  if (int ms = 0; !flag("timeout-ms").empty()) {
    if (!parse_number(flag("timeout-ms"), ms)) {
      return usage("--timeout-ms takes a number");
    }
    options.timeout = std::chrono::milliseconds(ms);
  }
  if (!flag("key-file").empty()) {
    auto key = mtasts::net::read_tsig_key_file(flag("key-file"));
    if (!key) {
      return usage(key.error().message);
    }
    options.key = std::move(*key);
  } else if (flag("key-name").empty() != flag("key-secret").empty()) {
    return usage("--key-name and --key-secret go together");
  } else if (!flag("key-name").empty()) {
    auto key = mtasts::net::parse_tsig_key(
        flag("key-name"), flag("key-alg").empty() ? "hmac-sha256" : flag("key-alg"),
        flag("key-secret"));
    if (!key) {
      return usage(key.error().message);
    }
    options.key = std::move(*key);
  }

  const std::vector<std::string>& words = command.words;
  std::uint32_t ttl = 0;
  const bool replace = words.size() == 4 && words[0] == "replace" && parse_number(words[2], ttl);
  const bool remove = words.size() == 2 && words[0] == "remove";
  if (!replace && !remove) {
    return usage("expected: replace OWNER TTL TEXT | remove OWNER");
  }

  asio::io_context io;
  auto updater = DnsUpdater::create(io.get_executor(), options);
  if (!updater) {
    return usage(updater.error().message);
  }
  mtasts::core::Result<void> outcome;
  const auto done = [&](std::exception_ptr error, mtasts::core::Result<void> result) {
    if (error) {
      std::rethrow_exception(error);
    }
    outcome = std::move(result);
  };
  if (replace) {
    asio::co_spawn(io, (*updater)->replace_txt(words[1], ttl, words[3]), done);
  } else {
    asio::co_spawn(io, (*updater)->remove_txt(words[1]), done);
  }
  io.run();
  if (!outcome) {
    std::fprintf(stderr, "dns_update_tool: %s\n", outcome.error().message.c_str());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
