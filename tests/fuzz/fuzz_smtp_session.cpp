// Fuzzes SmtpSession in SMTP and LMTP: arbitrary client bytes under three chunkings must give
// the same transcript; every reply is well formed; a delivered message holds no bare CR or LF,
// stays under the size limit and has between one and max_recipients recipients; recipient
// verdicts and delivery verdicts come from the input. Aborts on any violated invariant.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_chunks.hpp"
#include "mtasts/core/smtp/smtp_session.hpp"

namespace {

using namespace mtasts::core;

constexpr std::size_t kMaxMessage = 512;
constexpr std::size_t kMaxRecipients = 5;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

// Each line: three digits, then ' ' (the last) or '-' (a continuation), then CRLF.
void check_reply(std::string_view text) {
  check(text.size() >= 5 && text.substr(text.size() - 2) == "\r\n");
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t end = text.find("\r\n", from);
    check(end != std::string_view::npos && end - from >= 3 && end - from < 512);
    const std::string_view line = text.substr(from, end - from);
    for (std::size_t i = 0; i < 3; ++i) {
      check(line[i] >= '0' && line[i] <= '9');
    }
    check(line.size() == 3 || line[3] == ' ' || line[3] == '-');
    for (const char c : line) {
      check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    from = end + 2;
  }
}

void check_message(const std::string& message) {
  check(message.size() <= kMaxMessage);
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r') {
      check(i + 1 < message.size() && message[i + 1] == '\n');
    } else if (message[i] == '\n') {
      check(i > 0 && message[i - 1] == '\r');
    }
  }
}

std::string run(std::string_view bytes, std::uint32_t seed, SmtpProtocol protocol) {
  SmtpSessionConfig config;
  config.protocol = protocol;
  config.hostname = "mx.test";
  config.limits = {kMaxMessage, kMaxRecipients, 10};
  SmtpSession session(config);
  std::string transcript;
  std::size_t turn = 0;
  auto drain = [&] {
    for (;;) {
      SmtpAction action = session.next();
      switch (action.kind) {
        case SmtpAction::Kind::need_more:
          check(session.phase() == SmtpPhase::command || session.phase() == SmtpPhase::data);
          return true;
        case SmtpAction::Kind::reply:
          check_reply(action.text);
          transcript += action.text;
          break;
        case SmtpAction::Kind::check_recipient: {
          check(!action.text.empty() && action.text.size() <= kSmtpMaxPath);
          const auto v =
              static_cast<Verdict>(bytes.empty() ? 0 : (bytes[turn++ % bytes.size()] & 3) % 3);
          session.answer_recipient({v, std::nullopt});
          transcript += "[rcpt " + action.text + "]";
          break;
        }
        case SmtpAction::Kind::deliver: {
          const SmtpEnvelope& e = action.envelope;
          check(!e.recipients.empty() && e.recipients.size() <= kMaxRecipients);
          check_message(e.message);
          transcript += "[deliver " + e.message + "]";
          std::vector<DeliveryVerdict> verdicts;
          for (std::size_t i = 0; i < e.recipients.size() && !bytes.empty(); ++i) {
            verdicts.push_back(
                {static_cast<Verdict>((bytes[turn++ % bytes.size()] & 3) % 3), std::nullopt});
          }
          session.answer_delivery(verdicts);
          break;
        }
        case SmtpAction::Kind::close:
          check(session.phase() == SmtpPhase::closed);
          transcript += "[close]";
          return false;
      }
    }
  };
  mtasts::fuzz::Chunks chunks(bytes, seed, 1, 64);
  bool open = drain();
  for (auto piece = chunks.next(); piece && open; piece = chunks.next()) {
    session.feed(*piece);
    open = drain();
  }
  check(session.errors() <= 10);
  if (open) {
    const std::string bye = session.stop(SmtpStop::timeout);
    check_reply(bye);
    check(session.next().kind == SmtpAction::Kind::close);
  }
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::uint32_t seed = 2166136261u;  // FNV-1a of the input picks the chunkings
  for (const char c : bytes) {
    seed = (seed ^ static_cast<std::uint8_t>(c)) * 16777619u;
  }
  for (const SmtpProtocol protocol : {SmtpProtocol::smtp, SmtpProtocol::lmtp}) {
    const std::string whole = run(bytes, 0, protocol);
    check(run(bytes, seed | 1u, protocol) == whole);
    check(run(bytes, (seed >> 7) | 1u, protocol) == whole);
  }
  return 0;
}
