#pragma once

// The server side of one SMTP (RFC 5321) or LMTP (RFC 2033) session, sans-I/O: the caller
// feeds the bytes the client sent and pulls actions (replies to send, a recipient to check, a
// message to deliver, the end of the session). It receives mail; it never relays.
//
// Glossary
//   command line  one command up to its line end: CRLF, or a lone LF (accepted in commands)
//   transaction   MAIL, RCPT..., DATA and the message; RSET, HELO/EHLO/LHLO and the end of a
//                 message start a new one
//   answer        the caller's verdict on a check_recipient or deliver action; the session waits
//                 for it and consumes nothing meanwhile
//
// What a client can do, and what happens (replies carry RFC 3463 enhanced status codes):
//   pipelining (RFC 2920)  commands read together are answered in order, one reply each
//   line over 1000 octets  500 5.5.2, the rest of the line discarded (RFC 5321 §4.5.3.1.4)
//   unknown command        500 5.5.2; known but not implemented (EXPN, STARTTLS, ...) 502 5.5.1
//   wrong order            503 5.5.1 (MAIL before HELO, RCPT before MAIL, DATA before MAIL);
//                          DATA with no accepted recipient 554 5.5.1 (LMTP: 503, RFC 2033 §4.2)
//   bad syntax             501 5.5.4 (5.1.7 sender, 5.1.3 recipient; a greeting name with
//                          control characters too); unknown parameter 555 5.5.4
//   too many errors        after max_errors of the above, 421 4.7.0 and close
//   HTTP verbs             GET, POST, CONNECT, ... as a command: 421 4.7.0 and close
//   too many recipients    452 4.5.3 past max_recipients (RFC 5321 §4.5.3.1.10)
//   message too large      SIZE= over the limit: 552 5.3.4 at MAIL; a message that grows past
//                          it is read to its end, then 552 5.3.4 (the stream stays in sync)
//   bare CR or LF in DATA  only CRLF "." CRLF ends the message (no other form, so no SMTP
//                          smuggling: RFC 5321 §2.3.8, §4.1.1.4); a message holding a CR or LF
//                          that is not part of a CRLF is read to that end, then refused with
//                          550 5.6.0 and never delivered
// In LMTP, the message gets one reply per accepted recipient, in order (RFC 2033 §4.2), also
// when it is refused as too large or for a bare line end.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::core {

// Which protocol the session speaks: SMTP greets with EHLO or HELO, LMTP with LHLO only.
enum class SmtpProtocol { smtp, lmtp };

// "smtp", "lmtp".
[[nodiscard]] std::string_view to_string(SmtpProtocol protocol);

// The longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
inline constexpr std::size_t kSmtpMaxCommandLine = 1000;
// The longest reverse-path or forward-path, angle brackets included (RFC 5321 §4.5.3.1.3).
inline constexpr std::size_t kSmtpMaxPath = 256;

struct SmtpSessionLimits {
  std::size_t max_message_bytes = 20 * 1024 * 1024;  // after unstuffing; advertised as SIZE
  std::size_t max_recipients = 100;                  // per transaction
  std::size_t max_errors = 10;  // bad commands before 421 and close; 0: no limit
};

struct SmtpSessionConfig {
  SmtpProtocol protocol = SmtpProtocol::smtp;
  std::string hostname;  // this server's name, in the greeting and the EHLO reply
  std::string peer;      // the client's address, copied into each envelope ("" if unknown)
  SmtpSessionLimits limits;
};

// What the client declared about the message body (RFC 6152).
enum class SmtpBody { unspecified, seven_bit, eight_bit_mime };

// One received message.
struct SmtpEnvelope {
  std::string helo;       // the name the client gave in EHLO, HELO or LHLO, as sent
  std::string peer;       // SmtpSessionConfig::peer
  std::string mail_from;  // the reverse-path without angle brackets; "" for the null sender <>
  std::vector<std::string> recipients;  // the accepted forward-paths, in order, without brackets
  std::string message;  // the message as sent: dot-stuffing undone, CRLF line ends kept, the
                        // final CRLF before "." included
  SmtpBody body = SmtpBody::unspecified;
};

// A reply chosen by the caller. `code` is a three-digit reply code, `status` an RFC 3463
// enhanced code ("5.1.1") or "" for none; the text is one line (control characters are replaced
// by spaces).
struct SmtpReply {
  unsigned code = 250;
  std::string status;
  std::string text;
};

enum class Verdict {
  accept,     // 2xx
  temporary,  // 4xx: the client keeps the mail and retries
  permanent,  // 5xx: the client bounces it
};

// The answer to check_recipient. Without `reply` (or with one whose code does not match the
// verdict's class) the session answers with its default for the verdict: 250 2.1.5, 450 4.2.0
// or 550 5.1.1.
struct RecipientVerdict {
  Verdict verdict = Verdict::accept;
  std::optional<SmtpReply> reply;
};

// The answer to deliver, per recipient. Defaults: 250 2.0.0, 451 4.3.0, 554 5.6.0.
struct DeliveryVerdict {
  Verdict verdict = Verdict::accept;
  std::optional<SmtpReply> reply;
};

struct SmtpAction {
  enum class Kind {
    need_more,        // every buffered byte is used: send the replies so far, then feed()
    reply,            // send `text`: one or more complete reply lines, each ending in CRLF
    check_recipient,  // `text` is the address (without brackets): answer_recipient() next
    deliver,          // `envelope` is complete: answer_delivery() next
    close,            // send the replies so far, then close; next() returns close from now on
  };
  Kind kind = Kind::need_more;
  std::string text;
  SmtpEnvelope envelope;
};

// Where the session stands, for the transport's deadlines.
enum class SmtpPhase {
  command,  // waiting for (or inside) a command line
  data,     // reading a message after 354
  waiting,  // an answer is due from the caller
  closed,   // the session has ended
};

// Why the transport ends a session that is waiting for the client.
enum class SmtpStop {
  shutdown,  // the server is draining: 421 4.3.2
  timeout,   // the client was silent too long: 421 4.4.2
};

class SmtpSession {
 public:
  // The greeting (220) is the first action.
  explicit SmtpSession(SmtpSessionConfig config);

  // Appends bytes received from the client. Bytes fed after close are discarded.
  void feed(std::string_view bytes);

  // The next thing to do. While a check_recipient or deliver is unanswered, returns
  // need_more and consumes nothing.
  [[nodiscard]] SmtpAction next();

  // Answers the pending check_recipient. Ignored when none is pending.
  void answer_recipient(const RecipientVerdict& verdict);

  // Answers the pending deliver: one verdict per accepted recipient, in order. SMTP uses the
  // first; LMTP replies for each recipient, a missing verdict counting as temporary. Ignored
  // when no delivery is pending.
  void answer_delivery(const std::vector<DeliveryVerdict>& verdicts);

  // Ends the session: the 421 reply to send before closing (CRLF included); the session is
  // closed afterwards.
  [[nodiscard]] std::string stop(SmtpStop why);

  [[nodiscard]] SmtpPhase phase() const;

  // True when bytes of an unfinished command line are buffered (or a too-long line is being
  // discarded).
  [[nodiscard]] bool partial_command() const;

  // Bad commands so far (the replies 500, 501, 502, 503, 555).
  [[nodiscard]] std::size_t errors() const { return errors_; }

 private:
  enum class Stage { greeting, need_helo, ready, mail, data, closed };
  enum class Pending { none, recipient, delivery };
  enum class DataState { line_start, dot, dot_cr, mid, cr };

  SmtpAction command(std::string_view line);
  SmtpAction hello(std::string_view arg, bool extended);
  SmtpAction mail(std::string_view arg);
  SmtpAction rcpt(std::string_view arg);
  SmtpAction data(std::string_view arg);
  SmtpAction scan_data();
  SmtpAction end_of_data();
  SmtpAction error(unsigned code, std::string_view status, std::string_view text);
  SmtpAction reply(unsigned code, std::string_view status, std::string_view text) const;
  SmtpAction close_with(unsigned code, std::string_view status, std::string_view text);
  void reset_transaction();
  void append_data(std::string_view bytes);
  void compact();

  SmtpSessionConfig config_;
  Stage stage_ = Stage::greeting;
  Pending pending_ = Pending::none;
  std::string in_;
  std::size_t pos_ = 0;
  bool skipping_line_ = false;  // discarding the rest of a line over kSmtpMaxCommandLine
  std::size_t errors_ = 0;
  std::string helo_;
  SmtpEnvelope envelope_;
  std::string pending_recipient_;
  std::size_t data_bytes_ = 0;  // message bytes seen, stored or not
  bool too_large_ = false;
  bool bare_line_end_ = false;
  DataState data_state_ = DataState::line_start;
  std::size_t delivering_ = 0;  // recipients of the message handed to deliver
  std::string queued_;          // the reply to an answer, sent by the next next()
};

// "250 2.1.0 Ok\r\n": one reply line; a text with control characters has them replaced by
// spaces, a code outside 200..599 becomes 451 4.3.0.
[[nodiscard]] std::string render_smtp_reply(const SmtpReply& reply);

}  // namespace mtasts::core
