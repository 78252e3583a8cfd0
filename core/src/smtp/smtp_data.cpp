// SmtpSession's DATA phase: the message read up to CRLF "." CRLF with dot-stuffing undone
// (RFC 5321 §4.5.2), its size bounded, bare line ends noted, then the reply or the delivery.

#include <string>
#include <utility>

#include "mtasts/core/smtp/smtp_session.hpp"

namespace mtasts::core {

SmtpAction SmtpSession::scan_data() {
  const std::string_view in(in_);
  std::size_t i = pos_;
  bool ended = false;
  // A byte-wise machine over states that span reads. Only CR LF "." CR LF ends the message:
  // a "." line after a bare LF, or ended by one, is content (and the message is refused for
  // its bare line end), so no other server can see a different end here (RFC 5321 §2.3.8).
  while (i < in.size() && !ended) {
    const char c = in[i];
    switch (data_state_) {
      case DataState::line_start:
        if (c == '.') {
          data_state_ = DataState::dot;
          ++i;
        } else {
          data_state_ = DataState::mid;
        }
        break;
      case DataState::dot:
        if (c == '\r') {
          data_state_ = DataState::dot_cr;
          ++i;
        } else {
          data_state_ = DataState::mid;  // RFC 5321 §4.5.2: the leading dot is removed
        }
        break;
      case DataState::dot_cr:
        if (c == '\n') {
          ended = true;
          ++i;
        } else {
          // ".\r" and more: the dot removed, the CR bare.
          bare_line_end_ = true;
          append_data("\r");
          data_state_ = DataState::mid;
        }
        break;
      case DataState::mid: {
        const std::size_t stop = in.find_first_of("\r\n", i);
        const std::size_t end = stop == std::string_view::npos ? in.size() : stop;
        append_data(in.substr(i, end - i));
        i = end;
        if (i < in.size()) {
          if (in[i] == '\r') {
            data_state_ = DataState::cr;
          } else {
            bare_line_end_ = true;
            append_data("\n");
          }
          ++i;
        }
        break;
      }
      case DataState::cr:
        if (c == '\n') {
          append_data("\r\n");
          data_state_ = DataState::line_start;
          ++i;
        } else {
          bare_line_end_ = true;
          append_data("\r");
          data_state_ = DataState::mid;
        }
        break;
    }
  }
  pos_ = i;
  if (!ended) {
    compact();
    return {};
  }
  return end_of_data();
}

void SmtpSession::append_data(std::string_view bytes) {
  data_bytes_ += bytes.size();
  if (data_bytes_ > config_.limits.max_message_bytes) {
    if (!too_large_) {
      too_large_ = true;
      std::string().swap(envelope_.message);
    }
    return;
  }
  envelope_.message.append(bytes);
}

SmtpAction SmtpSession::end_of_data() {
  const std::size_t recipients = envelope_.recipients.size();
  // RFC 2033 §4.2: in LMTP, one reply per accepted recipient, refusals included.
  const std::size_t replies = config_.protocol == SmtpProtocol::lmtp ? recipients : 1;
  std::string refusal;
  if (too_large_) {
    refusal = render_smtp_reply(SmtpReply{552, "5.3.4", "Error: message file too big"});
  } else if (bare_line_end_) {
    refusal = render_smtp_reply(
        SmtpReply{550, "5.6.0", "Error: bare <CR> or <LF> in message; lines end in <CR><LF>"});
  }
  if (!refusal.empty()) {
    std::string text;
    for (std::size_t n = 0; n < replies; ++n) {
      text += refusal;
    }
    reset_transaction();
    return {SmtpAction::Kind::reply, std::move(text), {}};
  }
  SmtpEnvelope envelope = std::exchange(envelope_, SmtpEnvelope{});
  envelope.helo = helo_;
  envelope.peer = config_.peer;
  delivering_ = recipients;
  pending_ = Pending::delivery;
  stage_ = Stage::ready;
  return {SmtpAction::Kind::deliver, {}, std::move(envelope)};
}

}  // namespace mtasts::core
