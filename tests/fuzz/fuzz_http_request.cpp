// Fuzzes the HTTP server's request decoder (bytes straight from the network) under arbitrary
// chunkings, and the response writer fed with what the decoder let through. Aborts on any
// violated invariant.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_chunks.hpp"
#include "mtasts/net/http/http_codec.hpp"

namespace {

using namespace mtasts::net;

constexpr std::size_t kMaxHeader = 1024;
constexpr std::size_t kMaxBody = 256;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

struct Seen {
  std::string method, target, host, body;
  unsigned version = 0;
  bool keep_alive = false;
  friend bool operator==(const Seen&, const Seen&) = default;
};

struct Decoded {
  std::vector<Seen> requests;
  bool failed = false;
};

void check_request(const HttpDecodeStep& step) {
  const HttpRequest& r = step.request;
  check(r.version == 10 || r.version == 11);
  check(!r.method.empty() && r.target.size() <= kMaxHeader && r.body.size() <= kMaxBody);
  for (const char c : r.host) {
    check(c != ' ' && c != '\r' && c != '\n' && !(c >= 'A' && c <= 'Z'));
  }
  check(r.host.empty() || r.host.back() != '.');
}

// Feeds `bytes` in chunks whose sizes come from a xorshift generator seeded by `seed` (0: one
// feed), taking every step after each feed.
Decoded decode(std::string_view bytes, std::uint32_t seed) {
  HttpRequestDecoder decoder(kMaxHeader, kMaxBody);
  Decoded out;
  mtasts::fuzz::Chunks chunks(bytes, seed, 1, 64);
  for (auto piece = chunks.next(); piece && !out.failed; piece = chunks.next()) {
    decoder.feed(*piece);
    for (int guard = 0; guard < 10000; ++guard) {
      HttpDecodeStep step = decoder.next();
      if (step.kind == HttpDecodeStep::Kind::need_more) {
        break;
      }
      if (step.kind == HttpDecodeStep::Kind::error) {
        const unsigned status = http_decode_error_status(step.error);
        check(status == 400 || status == 413 || status == 431 || status == 505);
        check(decoder.next().kind == HttpDecodeStep::Kind::error);
        out.failed = true;
        break;
      }
      if (step.kind == HttpDecodeStep::Kind::request) {
        check_request(step);
        const HttpRequest& r = step.request;
        out.requests.push_back(
            Seen{r.method, r.target, r.host, r.body, r.version, step.keep_alive});
      }
    }
  }
  return out;
}

// The response written for a request carries exactly the framing the server means: one head,
// then exactly Content-Length bytes, whatever the handler put in its fields.
void check_response(const Seen& request) {
  HttpResponse response;
  response.status = 200;
  response.headers = {{request.method, request.target}, {"X-Host", request.host}};
  response.body = request.body;
  std::string out;
  append_http_response(out, response, {false, request.version == 10}, http_date_now());
  const std::size_t end = out.find("\r\n\r\n");
  check(end != std::string::npos);
  check(out.size() - (end + 4) == response.body.size());
  const std::string length = "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
  check(out.find(length) != std::string::npos && out.find(length) < end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::uint32_t seed = 2166136261u;  // FNV-1a of the input picks the chunkings
  for (const char c : bytes) {
    seed = (seed ^ static_cast<std::uint8_t>(c)) * 16777619u;
  }
  const Decoded whole = decode(bytes, 0);
  for (const std::uint32_t chunking : {seed | 1u, (seed >> 9) | 1u}) {
    const Decoded split = decode(bytes, chunking);
    // Chunking may move where a limit is noticed, never what a request is.
    const std::size_t common = std::min(whole.requests.size(), split.requests.size());
    for (std::size_t i = 0; i < common; ++i) {
      check(whole.requests[i] == split.requests[i]);
    }
    if (!whole.failed && !split.failed) {
      check(whole.requests.size() == split.requests.size());
    }
  }
  for (const Seen& request : whole.requests) {
    check_response(request);
  }
  (void)normalize_http_host(bytes.substr(0, 300));
  return 0;
}
