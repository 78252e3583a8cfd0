#pragma once

// Blocking clients for tests of servers that run on their own threads: a TCP client and an
// OpenSSL TLS client (SNI, ALPN, verification against the test CA), each bounded by a receive
// timeout so that a broken server fails a test instead of hanging it; and a small HTTP/1.1
// response reader.

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::net::testing {

struct HttpReply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; the last value of a name
  std::vector<std::string> header_names;       // in order, as sent
  std::string body;
};

class TestConnection {
 public:
  // Connects to 127.0.0.1:port (TCP only; call start_tls for TLS). Throws on failure.
  explicit TestConnection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  struct TlsOptions {
    std::string sni;                // "" sends no SNI
    std::vector<std::string> alpn;  // offered protocols
    std::string verify_host;        // "" skips verification; else PKIX + DNS-ID vs the test CA
    int max_version = 0;            // e.g. TLS1_2_VERSION; 0: the library's highest
  };
  // Handshakes; false on failure (alert() tells the alert received, if any).
  bool start_tls(const TlsOptions& options);

  [[nodiscard]] int alert() const { return alert_; }  // SSL_AD_* received, -1 if none
  [[nodiscard]] std::string alpn() const;
  [[nodiscard]] std::shared_ptr<X509> peer_certificate() const;
  [[nodiscard]] std::string peer_dns_names() const;
  [[nodiscard]] int peer_chain_length()
      const;  // certificates the server sent  // subjectAltName DNS names, comma-joined

  bool send(std::string_view bytes);
  // Some bytes; "" at the end of the stream; nullopt on a timeout or an error.
  std::optional<std::string> receive();
  // One response (HEAD: no body is read). nullopt when the stream ends or times out first.
  std::optional<HttpReply> read_response(bool head = false);
  // True when the peer closes (EOF, TLS close_notify, or a reset) within the timeout, every
  // byte before that being discarded.
  bool wait_closed();
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int alert_ = -1;
  std::string buffered_;
};

// "GET <target> HTTP/1.1" with Host and extra header lines (each without CRLF).
[[nodiscard]] std::string http_get(std::string_view target, std::string_view host,
                                   std::string_view method = "GET",
                                   const std::vector<std::string>& extra = {});

}  // namespace mtasts::net::testing
