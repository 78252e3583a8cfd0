#include "http_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "test_pki.hpp"

namespace mtasts::net::testing {
namespace {

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

int alert_from_error_queue() {
  int alert = -1;
  while (const unsigned long code = ERR_get_error()) {
    const int reason = ERR_GET_REASON(code);
    if (reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
      alert = reason - SSL_AD_REASON_OFFSET;
    }
  }
  return alert;
}

}  // namespace

TestConnection::TestConnection(std::uint16_t port, std::chrono::milliseconds timeout) {
  // SSL_write to a peer that has closed must fail, not kill the test with SIGPIPE.
  static const bool ignore_sigpipe = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignore_sigpipe;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) {
    throw std::runtime_error("socket failed");
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed");
  }
}

TestConnection::~TestConnection() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool TestConnection::start_tls(const TlsOptions& options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (options.max_version != 0) {
    SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  }
  if (!options.verify_host.empty()) {
    SSL_CTX_load_verify_locations(ctx_, TestPki::instance().ca_file().c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (!options.sni.empty()) {
    SSL_set_tlsext_host_name(ssl_, options.sni.c_str());
  }
  if (!options.verify_host.empty()) {
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    SSL_set1_host(ssl_, options.verify_host.c_str());
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  ERR_clear_error();
  if (SSL_connect(ssl_) != 1) {
    alert_ = alert_from_error_queue();
    return false;
  }
  return true;
}

std::string TestConnection::alpn() const {
  const unsigned char* data = nullptr;
  unsigned size = 0;
  SSL_get0_alpn_selected(ssl_, &data, &size);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

std::shared_ptr<X509> TestConnection::peer_certificate() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  return cert == nullptr ? nullptr : std::shared_ptr<X509>(cert, &X509_free);
}

int TestConnection::peer_chain_length() const {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  return chain == nullptr ? 0 : sk_X509_num(chain);
}

bool TestConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = 0;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<std::string> TestConnection::receive() {
  if (!buffered_.empty()) {
    return std::exchange(buffered_, {});
  }
  char buffer[16384];
  if (ssl_ != nullptr) {
    const int n = SSL_read(ssl_, buffer, sizeof buffer);
    if (n > 0) {
      return std::string(buffer, static_cast<std::size_t>(n));
    }
    const int error = SSL_get_error(ssl_, n);
    const int saved = errno;
    ERR_clear_error();
    // A receive timeout reads as "want read" on a blocking socket; anything else ends the
    // stream (close_notify, EOF, a reset or an alert).
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ||
        (error == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK))) {
      return std::nullopt;
    }
    return std::string();
  }
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n > 0) {
    return std::string(buffer, static_cast<std::size_t>(n));
  }
  if (n == 0 || errno == ECONNRESET || errno == EPIPE) {
    return std::string();
  }
  return std::nullopt;
}

std::optional<HttpReply> TestConnection::read_response(bool head) {
  std::string data;
  std::size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    auto more = receive();
    if (!more || more->empty()) {
      return std::nullopt;
    }
    data += *more;
  }
  HttpReply reply;
  const std::string head_text = data.substr(0, end);
  std::string rest = data.substr(end + 4);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.rfind("HTTP/1.1 ", 0) != 0 || status_line.size() < 12) {
    return std::nullopt;
  }
  reply.status = static_cast<unsigned>(std::atoi(status_line.substr(9, 3).c_str()));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const std::string line = head_text.substr(start, line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    reply.header_names.push_back(line.substr(0, colon));
    reply.headers[lower(line.substr(0, colon))] = value;
  }
  std::size_t length = 0;
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end() && !head) {
    length = static_cast<std::size_t>(std::stoul(it->second));
  }
  while (rest.size() < length) {
    auto more = receive();
    if (!more || more->empty()) {
      return std::nullopt;
    }
    rest += *more;
  }
  reply.body = rest.substr(0, length);
  buffered_ = rest.substr(length);
  return reply;
}

bool TestConnection::wait_closed() {
  for (int i = 0; i < 10000; ++i) {
    auto more = receive();
    if (!more) {
      return false;
    }
    if (more->empty()) {
      return true;
    }
  }
  return false;
}

std::string http_get(std::string_view target, std::string_view host, std::string_view method,
                     const std::vector<std::string>& extra) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  if (!host.empty()) {
    out += "Host: " + std::string(host) + "\r\n";
  }
  for (const std::string& line : extra) {
    out += line + "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace mtasts::net::testing
