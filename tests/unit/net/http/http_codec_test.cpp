#include "mtasts/net/http/http_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtasts::net {
namespace {

using Kind = HttpDecodeStep::Kind;

std::vector<HttpDecodeStep> decode_all(HttpRequestDecoder& decoder) {
  std::vector<HttpDecodeStep> steps;
  for (int i = 0; i < 100; ++i) {
    HttpDecodeStep step = decoder.next();
    if (step.kind == Kind::need_more) {
      break;
    }
    const bool stop = step.kind == Kind::error;
    steps.push_back(std::move(step));
    if (stop) {
      break;
    }
  }
  return steps;
}

HttpDecodeStep decode_one(std::string_view bytes, std::size_t max_header = 8192,
                          std::size_t max_body = 0) {
  HttpRequestDecoder decoder(max_header, max_body);
  decoder.feed(bytes);
  return decoder.next();
}

TEST(HttpRequestDecoder, SimpleGet_GivesMethodTargetHostHeaders) {
  auto step = decode_one(
      "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: MTA-STS.Example.COM:443\r\nX-A: 1\r\n\r\n");
  ASSERT_EQ(step.kind, Kind::request);
  EXPECT_EQ(step.request.method, "GET");
  EXPECT_EQ(step.request.target, "/.well-known/mta-sts.txt");
  EXPECT_EQ(step.request.host, "mta-sts.example.com");
  EXPECT_EQ(step.request.version, 11U);
  ASSERT_EQ(step.request.headers.size(), 2U);
  EXPECT_EQ(step.request.headers[1].first, "X-A");
  EXPECT_EQ(step.request.headers[1].second, "1");
  EXPECT_TRUE(step.keep_alive);
}

TEST(HttpRequestDecoder, KeepAlive_FollowsVersionAndConnection) {
  struct Case {
    const char* request;
    bool keep_alive;
  };
  for (const Case& c : {Case{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
                        Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
                        Case{"GET / HTTP/1.0\r\n\r\n", false},
                        Case{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true}}) {
    auto step = decode_one(c.request);
    ASSERT_EQ(step.kind, Kind::request) << c.request;
    EXPECT_EQ(step.keep_alive, c.keep_alive) << c.request;
  }
}

TEST(HttpRequestDecoder, PipelinedRequests_ComeOutInOrder) {
  HttpRequestDecoder decoder(8192, 0);
  decoder.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: b\r\n\r\nGET /3 HT");
  auto steps = decode_all(decoder);
  ASSERT_EQ(steps.size(), 2U);
  EXPECT_EQ(steps[0].request.target, "/1");
  EXPECT_EQ(steps[1].request.method, "HEAD");
  EXPECT_EQ(steps[1].request.host, "b");
  EXPECT_TRUE(decoder.partial());
  decoder.feed("TP/1.1\r\nHost: c\r\n\r\n");
  steps = decode_all(decoder);
  ASSERT_EQ(steps.size(), 1U);
  EXPECT_EQ(steps[0].request.target, "/3");
  EXPECT_FALSE(decoder.partial());
}

TEST(HttpRequestDecoder, OneByteAtATime_GivesTheSameRequest) {
  const std::string request = "GET /x?y=1 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n";
  HttpRequestDecoder decoder(8192, 0);
  std::vector<HttpDecodeStep> steps;
  for (const char c : request) {
    decoder.feed(std::string_view(&c, 1));
    auto more = decode_all(decoder);
    for (auto& s : more) {
      steps.push_back(std::move(s));
    }
  }
  ASSERT_EQ(steps.size(), 1U);
  EXPECT_EQ(steps[0].request.target, "/x?y=1");
  EXPECT_EQ(steps[0].request.host, "example.org");
}

TEST(HttpRequestDecoder, ChunkedBodyOneByteAtATime_Completes) {
  for (const std::string body :
       {"0\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n", "1;x=y\r\nz\r\n0\r\nT: v\r\n\r\n"}) {
    const std::string request =
        "POST /v1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
    HttpRequestDecoder decoder(8192, 16);
    std::vector<HttpDecodeStep> steps;
    for (const char c : request) {
      decoder.feed(std::string_view(&c, 1));
      for (auto& step : decode_all(decoder)) {
        steps.push_back(std::move(step));
      }
    }
    ASSERT_EQ(steps.size(), 1U) << body;
    EXPECT_EQ(steps[0].kind, Kind::request) << body;
    EXPECT_FALSE(decoder.partial()) << body;
  }
}

TEST(HttpRequestDecoder, HostileInput_MapsToTheRightStatus) {
  struct Case {
    std::string request;
    unsigned status;
  };
  const std::string big(9000, 'a');
  for (const Case& c : {
           Case{"GET / HTTP/1.1\r\nHost: a\r\nX: " + big + "\r\n\r\n", 431},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nX: " + big, 431},  // never ends
           Case{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 413},
           Case{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                413},
           Case{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: "
                "chunked\r\n\r\n",
                400},
           Case{"GET / HTTP/1.1\r\n\r\n", 400},                        // no Host
           Case{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},  // two
           Case{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},           // invalid
           Case{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
           Case{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 junk\r\n\r\n", 400},  // TLS on HTTP
           Case{"GET /\r\n\r\n", 400},                                              // HTTP/0.9
           Case{"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400},
       }) {
    HttpRequestDecoder decoder(8192, 0);
    decoder.feed(c.request);
    auto step = decoder.next();
    ASSERT_EQ(step.kind, Kind::error) << c.request.substr(0, 80);
    EXPECT_EQ(http_decode_error_status(step.error), c.status) << c.request.substr(0, 80);
    EXPECT_EQ(decoder.next().kind, Kind::error) << "errors are sticky";
  }
}

TEST(HttpRequestDecoder, BodyWithinLimit_IsKept) {
  auto step =
      decode_one("POST /v1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 8192, 16);
  ASSERT_EQ(step.kind, Kind::request);
  EXPECT_EQ(step.request.body, "hello");
  auto chunked = decode_one(
      "POST /v1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      8192, 16);
  ASSERT_EQ(chunked.kind, Kind::request);
  EXPECT_EQ(chunked.request.body, "abc");
}

TEST(HttpRequestDecoder, ExpectContinue_IsReportedOnceBeforeTheBody) {
  HttpRequestDecoder decoder(8192, 100);
  decoder.feed("PUT /v1 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(decoder.next().kind, Kind::continue_expected);
  EXPECT_EQ(decoder.next().kind, Kind::need_more);
  decoder.feed("xyz");
  auto step = decoder.next();
  ASSERT_EQ(step.kind, Kind::request);
  EXPECT_EQ(step.request.body, "xyz");
}

TEST(NormalizeHttpHost, Forms) {
  struct Case {
    const char* value;
    const char* host;
  };
  for (const Case& c :
       {Case{"mta-sts.Example.com", "mta-sts.example.com"},
        Case{"mta-sts.example.com.", "mta-sts.example.com"}, Case{"a.test:8443", "a.test"},
        Case{"[::1]:443", "[::1]"}, Case{"[2001:DB8::1]", "[2001:db8::1]"}, Case{"a b", ""},
        Case{"a.test:x", ""}, Case{"[::1", ""}, Case{"a/b", ""}, Case{"a..test", ""},
        Case{".a.test", ""}, Case{"a.test..", ""}, Case{":443", ""}}) {
    EXPECT_EQ(normalize_http_host(c.value), c.host) << c.value;
  }
}

TEST(AppendHttpResponse, CarriesDateLengthAndFraming) {
  HttpResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "text/plain"},
                      {"Content-Length", "99"},
                      {"X-Evil", "a\r\nSet-Cookie: x"},
                      {"Connection", "close"}};
  response.body = "hello";
  std::string out;
  append_http_response(out, response, {true, false}, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n"
            "Content-Type: text/plain\r\nConnection: close\r\n\r\nhello");
  response.head = true;
  out.clear();
  append_http_response(out, response, {false, true}, "D");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nDate: D\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n"
            "Connection: keep-alive\r\n\r\n");
  HttpResponse empty;
  empty.status = 204;
  empty.body = "ignored";
  out.clear();
  append_http_response(out, empty, {}, "D");
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nDate: D\r\n\r\n");
}

TEST(HttpDateNow, IsAnImfFixdate) {
  const std::string date(http_date_now());
  ASSERT_EQ(date.size(), 29U) << date;
  EXPECT_EQ(date.substr(25), " GMT");
  EXPECT_EQ(date[3], ',');
}

TEST(ParseEndpoint, Forms) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:443", "127.0.0.1", 443}, Case{"[::1]:8443", "::1", 8443},
                        Case{"*:80", "", 80}, Case{"localhost:8080", "localhost", 8080}}) {
    auto endpoint = parse_endpoint(c.text);
    ASSERT_TRUE(endpoint) << c.text;
    EXPECT_EQ(endpoint->host, c.host) << c.text;
    EXPECT_EQ(endpoint->port, c.port) << c.text;
    EXPECT_EQ(to_string(*endpoint), c.text);
  }
  for (const char* text : {"127.0.0.1", "[::1]", ":443", "*:", "1.2.3.4:0", "1.2.3.4:70000"}) {
    EXPECT_FALSE(parse_endpoint(text)) << text;
  }
}

}  // namespace
}  // namespace mtasts::net
