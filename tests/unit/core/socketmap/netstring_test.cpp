#include "mtasts/core/socketmap/netstring.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "golden.hpp"

namespace mtasts::core {
namespace {

// What a decoder made of a byte stream: the payloads, then how it ended.
struct DecodeOutcome {
  std::vector<std::string> payloads;
  std::optional<ErrorCode> error;
  bool partial = false;  // an unfinished netstring is pending (no error only)

  friend bool operator==(const DecodeOutcome&, const DecodeOutcome&) = default;
};

void PrintTo(const DecodeOutcome& outcome, std::ostream* os) {
  *os << "{payloads:" << ::testing::PrintToString(outcome.payloads)
      << " error:" << (outcome.error ? outcome.error->name() : std::string_view("none"))
      << " partial:" << outcome.partial << "}";
}

// Feeds each chunk in turn and drains next() after every feed, as the socketmap server does.
DecodeOutcome decode_chunks(const std::vector<std::string>& chunks, std::size_t max_payload) {
  NetstringDecoder decoder(max_payload);
  DecodeOutcome outcome;
  for (const std::string& chunk : chunks) {
    decoder.feed(chunk);
    while (true) {
      auto next = decoder.next();
      if (!next) {
        outcome.error = next.error().code;
        return outcome;
      }
      if (!*next) {
        break;
      }
      outcome.payloads.push_back(std::move(**next));
    }
  }
  outcome.partial = decoder.partial();
  return outcome;
}

std::vector<std::string> split_at(const std::string& bytes, std::vector<std::size_t> cuts) {
  std::vector<std::string> chunks;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    chunks.push_back(bytes.substr(from, cut - from));
    from = cut;
  }
  chunks.push_back(bytes.substr(from));
  return chunks;
}

std::optional<Errc> errc_from(const std::string& name) {
  static const std::map<std::string, Errc> kByName = {
      {"invalid_syntax", Errc::invalid_syntax},
      {"too_large", Errc::too_large},
  };
  const auto it = kByName.find(name);
  return it == kByName.end() ? std::nullopt : std::optional<Errc>(it->second);
}

class NetstringGolden : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(NetstringGolden, Case_MatchesExpectation) {
  const nlohmann::json& row = GetParam();
  const auto chunks = row.at("input").at("chunks").get<std::vector<std::string>>();
  const std::size_t max = row.at("input").value("max", kPostfixMaxQuery);
  const nlohmann::json& expect = row.at("expect");
  const std::string end = expect.at("end").get<std::string>();

  const DecodeOutcome outcome = decode_chunks(chunks, max);
  EXPECT_EQ(outcome.payloads, expect.at("payloads").get<std::vector<std::string>>());
  if (end == "idle") {
    EXPECT_FALSE(outcome.error.has_value());
    EXPECT_FALSE(outcome.partial);
  } else if (end == "need_more") {
    EXPECT_FALSE(outcome.error.has_value());
    EXPECT_TRUE(outcome.partial);
  } else {
    ASSERT_TRUE(errc_from(end).has_value()) << "unknown end state " << end;
    EXPECT_EQ(outcome.error, errc_from(end));
  }
}

// The outcome never depends on how the bytes were cut: one feed, byte by byte, and a cut at
// every boundary must all agree with the golden chunking.
TEST_P(NetstringGolden, AnySplit_SameOutcome) {
  const nlohmann::json& row = GetParam();
  const auto chunks = row.at("input").at("chunks").get<std::vector<std::string>>();
  const std::size_t max = row.at("input").value("max", kPostfixMaxQuery);
  std::string bytes;
  for (const std::string& chunk : chunks) {
    bytes += chunk;
  }
  const DecodeOutcome reference = decode_chunks(chunks, max);
  EXPECT_EQ(decode_chunks({bytes}, max), reference);
  std::vector<std::string> single_bytes;
  for (const char c : bytes) {
    single_bytes.emplace_back(1, c);
  }
  EXPECT_EQ(decode_chunks(single_bytes, max), reference);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    EXPECT_EQ(decode_chunks(split_at(bytes, {cut}), max), reference) << "cut at " << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, NetstringGolden,
                         ::testing::ValuesIn(mtasts::testing::load_golden("netstring.jsonl")),
                         mtasts::testing::golden_name);

TEST(NetstringDecoder, PipelinedQueriesCutAtEveryPairOfBoundaries_SamePayloads) {
  const std::string bytes = "19:postfix example.com,0:,16:postfix .example,";
  const std::vector<std::string> expected = {"postfix example.com", "", "postfix .example"};
  for (std::size_t a = 0; a <= bytes.size(); ++a) {
    for (std::size_t b = a; b <= bytes.size(); ++b) {
      const DecodeOutcome outcome = decode_chunks(split_at(bytes, {a, b}), kPostfixMaxQuery);
      ASSERT_EQ(outcome.payloads, expected) << "cuts at " << a << " and " << b;
      ASSERT_FALSE(outcome.error.has_value());
      ASSERT_FALSE(outcome.partial);
    }
  }
}

TEST(NetstringDecoder, PayloadOfPostfixQueryLimit_Decodes) {
  const std::string payload(kPostfixMaxQuery, 'a');
  const DecodeOutcome outcome = decode_chunks({encode_netstring(payload)}, kPostfixMaxQuery);
  ASSERT_EQ(outcome.payloads.size(), 1u);
  EXPECT_EQ(outcome.payloads[0], payload);
}

TEST(NetstringDecoder, LengthOverLimit_FailsBeforePayloadIsBuffered) {
  NetstringDecoder decoder(100);
  decoder.feed("101");
  const auto next = decoder.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error().code, Errc::too_large);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(NetstringDecoder, AfterError_SameErrorAndFeedIgnored) {
  NetstringDecoder decoder;
  decoder.feed("3:abc;");
  const auto first = decoder.next();
  ASSERT_FALSE(first.has_value());
  EXPECT_TRUE(decoder.failed());
  decoder.feed("3:abc,");
  EXPECT_EQ(decoder.buffered(), 0u);
  const auto second = decoder.next();
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, first.error().code);
  EXPECT_EQ(second.error().message, first.error().message);
}

TEST(NetstringDecoder, NeedMoreBytes_IsNotAnError) {
  NetstringDecoder decoder;
  decoder.feed("5:ab");
  const auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());
  EXPECT_FALSE(decoder.failed());
  EXPECT_TRUE(decoder.partial());
  EXPECT_EQ(decoder.buffered(), 2u);  // the length prefix is consumed as it is parsed
}

TEST(NetstringDecoder, LengthDigitsOnly_PartialWithNothingBuffered) {
  NetstringDecoder decoder;
  EXPECT_FALSE(decoder.partial());
  decoder.feed("12");
  const auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());
  EXPECT_TRUE(decoder.partial());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(NetstringDecoder, LongPipelinedStream_BufferStaysBounded) {
  std::string stream;
  for (int i = 0; i < 20'000; ++i) {
    stream += encode_netstring("postfix mx" + std::to_string(i) + ".example.com");
  }
  constexpr std::size_t kChunk = 1000;
  NetstringDecoder decoder;
  std::size_t decoded = 0;
  for (std::size_t from = 0; from < stream.size(); from += kChunk) {
    decoder.feed(std::string_view(stream).substr(from, kChunk));
    for (auto next = decoder.next(); next && *next; next = decoder.next()) {
      ++decoded;
    }
    ASSERT_FALSE(decoder.failed());
    ASSERT_LE(decoder.buffered(), kChunk);
  }
  EXPECT_EQ(decoded, 20'000u);
  EXPECT_FALSE(decoder.partial());
}

TEST(NetstringDecoder, Views_StayValidUntilTheNextFeed) {
  NetstringDecoder decoder;
  decoder.feed("19:postfix example.com,0:,16:postfix .exa");
  std::vector<std::string_view> views;
  for (auto next = decoder.next_view(); next && *next; next = decoder.next_view()) {
    views.push_back(**next);
  }
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0], "postfix example.com");
  EXPECT_EQ(views[1], "");
  EXPECT_TRUE(decoder.partial());
  decoder.feed("mple,");
  const auto last = decoder.next_view();
  ASSERT_TRUE(last.has_value() && last->has_value());
  EXPECT_EQ(**last, "postfix .example");
}

TEST(NetstringDecoder, NextView_SameOutcomeAsNext) {
  const std::string bytes = "3:abc,0:,5:x y z,2:ab;";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    NetstringDecoder copies;
    NetstringDecoder views;
    for (const std::string& chunk : split_at(bytes, {cut})) {
      copies.feed(chunk);
      views.feed(chunk);
      for (;;) {
        const auto copy = copies.next();
        const auto view = views.next_view();
        ASSERT_EQ(copy.has_value(), view.has_value()) << "cut at " << cut;
        if (!copy) {
          EXPECT_EQ(copy.error().message, view.error().message);
          break;
        }
        ASSERT_EQ(copy->has_value(), view->has_value());
        if (!*copy) {
          break;
        }
        EXPECT_EQ(**copy, **view);
      }
      EXPECT_EQ(copies.buffered(), views.buffered());
      EXPECT_EQ(copies.partial(), views.partial());
    }
    EXPECT_TRUE(views.failed());
  }
}

TEST(EncodeNetstring, EmptyPayload_IsZeroColonComma) {
  EXPECT_EQ(encode_netstring(""), "0:,");
}

TEST(EncodeNetstring, PostfixReply_FramedByteExact) {
  EXPECT_EQ(encode_netstring("NOTFOUND "), "9:NOTFOUND ,");
}

TEST(EncodeNetstring, EveryByteValue_DecodesBack) {
  std::string payload;
  for (int byte = 0; byte < 256; ++byte) {
    payload += static_cast<char>(byte);
  }
  const DecodeOutcome outcome = decode_chunks({encode_netstring(payload)}, 1000);
  ASSERT_EQ(outcome.payloads.size(), 1u);
  EXPECT_EQ(outcome.payloads[0], payload);
}

}  // namespace
}  // namespace mtasts::core
