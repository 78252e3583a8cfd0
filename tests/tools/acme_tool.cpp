// acme_tool: drives the real net::AcmeClient against a real ACME CA (pebble in the test
// world, tests/integration/test_acme.py). Not installed; a test instrument.
//
//   acme_tool --directory URL --account FILE [--ca-file PEM] [--contact mailto:...]
//             [--name NAME]... [--challenge http-01|tls-alpn-01]
//             [--http01-dir DIR] [--tls-alpn-listen ADDR:PORT] [--wrong-key-authorization]
//             [--out PREFIX] [--timeout S] [--order-timeout S]
//
// The account FILE ({"key_pem", "url"}) is used when it exists and written afterwards. With
// names, one certificate is ordered; the chain goes to PREFIX.pem, its key to PREFIX.key.
// http-01 writes each key authorization to DIR/<token> (a responder of the test serves DIR on
// port 80); tls-alpn-01 serves the RFC 8737 certificates itself, on ADDR:PORT, to clients that
// offer ALPN acme-tls/1. Prints one JSON object; exit 0 on success, 1 on an ACME error, 2 on
// bad usage.

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using mtasts::net::AcmeError;
using mtasts::net::ChallengeType;
using mtasts::net::PendingChallenge;

struct Args {
  mtasts::net::AcmeOptions options;
  std::string account_file;
  std::vector<std::string> names;
  std::string http01_dir;
  std::string alpn_address;
  std::uint16_t alpn_port = 443;
  bool wrong_key_authorization = false;
  std::string out = "certificate";
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// The key authorization a broken publisher serves: right shape, wrong thumbprint.
std::string spoiled(const std::string& key_authorization) {
  return key_authorization.substr(0, key_authorization.find('.') + 1) +
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
}

class FilePublisher final : public mtasts::net::ChallengePublisher {
 public:
  FilePublisher(std::string dir, bool wrong) : dir_(std::move(dir)), wrong_(wrong) {}

  asio::awaitable<mtasts::core::Result<void>> publish(PendingChallenge challenge) override {
    const std::string body =
        wrong_ ? spoiled(challenge.key_authorization) : challenge.key_authorization;
    write_file(dir_ + "/" + challenge.token, body);
    co_return mtasts::core::Result<void>();
  }

  asio::awaitable<void> withdraw(PendingChallenge challenge) override {
    std::error_code ignored;
    std::filesystem::remove(dir_ + "/" + challenge.token, ignored);
    co_return;
  }

 private:
  std::string dir_;
  bool wrong_;
};

// A minimal TLS-ALPN-01 responder (RFC 8737 §3): only "acme-tls/1" is negotiated, the
// certificate is chosen by SNI among the published challenges, and nothing is read or written
// after the handshake.
class AlpnPublisher final : public mtasts::net::ChallengePublisher {
 public:
  AlpnPublisher(asio::io_context& io, const std::string& address, std::uint16_t port, bool wrong)
      : context_(ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(asio::ip::make_address(address), port)),
        wrong_(wrong) {
    SSL_CTX* ctx = context_.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_tlsext_servername_callback(ctx, &AlpnPublisher::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, this);
    SSL_CTX_set_alpn_select_cb(ctx, &AlpnPublisher::on_alpn, nullptr);
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  asio::awaitable<mtasts::core::Result<void>> publish(PendingChallenge challenge) override {
    const std::string authorization =
        wrong_ ? spoiled(challenge.key_authorization) : challenge.key_authorization;
    auto made = mtasts::net::make_tls_alpn_challenge_certificate(challenge.name, authorization);
    if (!made) {
      co_return tl::unexpected(made.error());
    }
    certificates_[challenge.name] = *made;
    co_return mtasts::core::Result<void>();
  }

  asio::awaitable<void> withdraw(PendingChallenge challenge) override {
    certificates_.erase(challenge.name);
    co_return;
  }

  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  static int on_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                     const unsigned char* in, unsigned in_length, void* /*arg*/) {
    static const unsigned char kProtocol[] =
        "\x0a"
        "acme-tls/1";
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_length, kProtocol, sizeof(kProtocol) - 1, in,
                              in_length) != OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_ALERT_FATAL;  // RFC 8737 §3: acme-tls/1 or nothing
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }

  static int on_server_name(SSL* ssl, int* alert, void* arg) {
    auto* self = static_cast<AlpnPublisher*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const auto found = name == nullptr ? self->certificates_.end() : self->certificates_.find(name);
    if (found == self->certificates_.end()) {
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    BIO* cert_bio =
        BIO_new_mem_buf(found->second.first.data(), static_cast<int>(found->second.first.size()));
    BIO* key_bio =
        BIO_new_mem_buf(found->second.second.data(), static_cast<int>(found->second.second.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    const bool ok = cert != nullptr && key != nullptr && SSL_use_certificate(ssl, cert) == 1 &&
                    SSL_use_PrivateKey(ssl, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    return ok ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_ALERT_FATAL;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      asio::co_spawn(acceptor_.get_executor(), handshake(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> handshake(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), context_);
    asio::steady_timer guard(stream.get_executor(), std::chrono::seconds(10));
    guard.async_wait([&stream](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        stream.lowest_layer().close(ignored);
      }
    });
    boost::system::error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    guard.cancel();
  }

  ssl::context context_;
  tcp::acceptor acceptor_;
  bool wrong_;
  std::map<std::string, std::pair<std::string, std::string>> certificates_;
};

json error_json(const AcmeError& error) {
  json out{{"code", std::string(mtasts::net::acme_errc_name(error.code))},
           {"message", error.message},
           {"problem_type", error.problem_type},
           {"http_status", error.http_status},
           {"retry_after", nullptr}};
  if (error.retry_after) {
    out["retry_after"] = error.retry_after->count();
  }
  return out;
}

std::optional<Args> parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    const auto value = [&]() { return std::string(argv[++i]); };
    if (flag == "--wrong-key-authorization") {
      args.wrong_key_authorization = true;
    } else if (!has_value) {
      return std::nullopt;
    } else if (flag == "--directory") {
      args.options.directory_url = value();
    } else if (flag == "--ca-file") {
      args.options.ca_file = value();
    } else if (flag == "--contact") {
      args.options.contact.push_back(value());
    } else if (flag == "--account") {
      args.account_file = value();
    } else if (flag == "--name") {
      args.names.push_back(value());
    } else if (flag == "--challenge") {
      const std::string type = value();
      args.options.challenge =
          type == "tls-alpn-01" ? ChallengeType::tls_alpn01 : ChallengeType::http01;
    } else if (flag == "--http01-dir") {
      args.http01_dir = value();
    } else if (flag == "--tls-alpn-listen") {
      const std::string text = value();
      const auto colon = text.rfind(':');
      args.alpn_address = text.substr(0, colon);
      args.alpn_port = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
    } else if (flag == "--out") {
      args.out = value();
    } else if (flag == "--timeout") {
      args.options.timeout = std::chrono::seconds(std::stoi(value()));
    } else if (flag == "--order-timeout") {
      args.options.order_timeout = std::chrono::seconds(std::stoi(value()));
    } else {
      return std::nullopt;
    }
  }
  if (args.options.directory_url.empty() || args.account_file.empty()) {
    return std::nullopt;
  }
  return args;
}

asio::awaitable<int> run(asio::io_context& io, Args args, json& out) {
  auto resolver = mtasts::net::make_ares_resolver(io.get_executor(), {});
  if (!resolver) {
    out["error"] = {{"code", "local"}, {"message", resolver.error().message}};
    co_return 2;
  }
  auto client = mtasts::net::AcmeClient::create(io.get_executor(), **resolver, args.options);
  if (!client) {
    out["error"] = {{"code", "local"}, {"message", client.error().message}};
    co_return 2;
  }
  std::optional<mtasts::net::AcmeAccount> known;
  if (std::filesystem::exists(args.account_file)) {
    const json saved = json::parse(read_file(args.account_file));
    known = mtasts::net::AcmeAccount{saved.at("key_pem"), saved.at("url")};
  }
  const auto started = std::chrono::steady_clock::now();
  auto account = co_await (*client)->ensure_account(known);
  if (!account) {
    out["error"] = error_json(account.error());
    co_return 1;
  }
  write_file(args.account_file, json{{"key_pem", account->key_pem}, {"url", account->url}}.dump());
  out["account_url"] = account->url;
  out["account_reused"] = known.has_value() && known->url == account->url;
  if (args.names.empty()) {
    co_return 0;
  }
  std::unique_ptr<mtasts::net::ChallengePublisher> publisher;
  AlpnPublisher* alpn = nullptr;
  if (args.options.challenge == ChallengeType::tls_alpn01) {
    auto owned = std::make_unique<AlpnPublisher>(io, args.alpn_address, args.alpn_port,
                                                 args.wrong_key_authorization);
    alpn = owned.get();
    publisher = std::move(owned);
  } else {
    publisher = std::make_unique<FilePublisher>(args.http01_dir, args.wrong_key_authorization);
  }
  auto issued = co_await (*client)->order(*account, args.names, *publisher);
  if (alpn != nullptr) {
    alpn->stop();
  }
  out["order_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!issued) {
    out["error"] = error_json(issued.error());
    co_return 1;
  }
  write_file(args.out + ".pem", issued->chain_pem);
  write_file(args.out + ".key", issued->key_pem);
  out["certificate"] = {{"chain_file", args.out + ".pem"},
                        {"key_file", args.out + ".key"},
                        {"not_before", issued->not_before},
                        {"not_after", issued->not_after}};
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    std::cerr << "usage: acme_tool --directory URL --account FILE [--ca-file PEM] [--name N]...\n"
                 "  [--challenge http-01|tls-alpn-01] [--http01-dir DIR]\n"
                 "  [--tls-alpn-listen ADDR:PORT] [--wrong-key-authorization] [--out PREFIX]\n"
                 "  [--timeout S] [--order-timeout S] [--contact URI]\n";
    return 2;
  }
  asio::io_context io;
  json out = json::object();
  int status = 2;
  asio::co_spawn(io, run(io, std::move(*args), out), [&](std::exception_ptr error, int result) {
    status = result;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        out["error"] = {{"code", "exception"}, {"message", e.what()}};
        status = 2;
      }
    }
    io.stop();  // abandoned DNS retries and the ALPN listener must not hold the loop
  });
  io.run();
  std::cout << out.dump(1) << "\n";
  return status;
}
