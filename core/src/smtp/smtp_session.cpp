// SmtpSession: command lines, the transaction's order, and the replies. The message itself is
// read in smtp_data.cpp.

#include "mtasts/core/smtp/smtp_session.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "smtp/smtp_command.hpp"

namespace mtasts::core {
namespace {

constexpr std::size_t kMaxReplyText = 400;  // a reply line stays under 512 (RFC 5321 §4.5.3.1.5)

bool valid_status(std::string_view status, unsigned code) {
  // RFC 3463 §2: class "." subject "." detail, the class matching the reply code's.
  if (status.size() < 5 || status[0] != static_cast<char>('0' + code / 100) || status[1] != '.') {
    return false;
  }
  int dots = 0;
  std::size_t digits = 0;
  for (std::size_t i = 2; i < status.size(); ++i) {
    if (status[i] == '.') {
      if (digits == 0 || ++dots > 1) {
        return false;
      }
      digits = 0;
    } else if (status[i] >= '0' && status[i] <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 1 && digits > 0;
}

unsigned class_code(Verdict verdict) {
  switch (verdict) {
    case Verdict::accept:
      return 2;
    case Verdict::temporary:
      return 4;
    case Verdict::permanent:
      return 5;
  }
  return 4;
}

// The caller's reply when it matches the verdict's class, else `fallback`.
SmtpReply chosen_reply(Verdict verdict, const std::optional<SmtpReply>& reply,
                       std::array<SmtpReply, 3> fallbacks) {
  if (reply && reply->code / 100 == class_code(verdict)) {
    return *reply;
  }
  switch (verdict) {
    case Verdict::accept:
      return fallbacks[0];
    case Verdict::temporary:
      return fallbacks[1];
    case Verdict::permanent:
      return fallbacks[2];
  }
  return fallbacks[1];
}

}  // namespace

std::string_view to_string(SmtpProtocol protocol) {
  switch (protocol) {
    case SmtpProtocol::smtp:
      return "smtp";
    case SmtpProtocol::lmtp:
      return "lmtp";
  }
  return "smtp";
}

std::string render_smtp_reply(const SmtpReply& reply) {
  const bool valid_code = reply.code >= 200 && reply.code <= 599;
  const unsigned code = valid_code ? reply.code : 451;
  std::string out = std::to_string(code);
  if (!valid_code) {
    out += " 4.3.0";
  } else if (valid_status(reply.status, code)) {
    out += ' ';
    out += reply.status;
  }
  const std::string_view text = std::string_view(reply.text).substr(0, kMaxReplyText);
  if (!text.empty()) {
    out += ' ';
    for (const char c : text) {
      out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    }
  }
  out += "\r\n";
  return out;
}

SmtpSession::SmtpSession(SmtpSessionConfig config) : config_(std::move(config)) {}

void SmtpSession::feed(std::string_view bytes) {
  if (stage_ != Stage::closed) {
    in_.append(bytes);
  }
}

SmtpAction SmtpSession::next() {
  if (stage_ == Stage::closed && queued_.empty()) {
    return {SmtpAction::Kind::close, {}, {}};
  }
  if (pending_ != Pending::none) {
    return {};
  }
  if (!queued_.empty()) {
    return {SmtpAction::Kind::reply, std::exchange(queued_, {}), {}};
  }
  if (stage_ == Stage::greeting) {
    stage_ = Stage::need_helo;
    const char* service = config_.protocol == SmtpProtocol::lmtp ? " LMTP" : " ESMTP";
    return {SmtpAction::Kind::reply, "220 " + config_.hostname + service + "\r\n", {}};
  }
  if (stage_ == Stage::data) {
    return scan_data();
  }
  if (skipping_line_) {
    const std::size_t lf = in_.find('\n', pos_);
    if (lf == std::string::npos) {
      pos_ = in_.size();
      compact();
      return {};
    }
    pos_ = lf + 1;
    skipping_line_ = false;
  }
  const std::size_t lf = in_.find('\n', pos_);
  if (lf == std::string::npos) {
    if (in_.size() - pos_ < kSmtpMaxCommandLine) {
      compact();
      return {};
    }
    pos_ = in_.size();
    compact();
    skipping_line_ = true;
    return error(500, "5.5.2", "Error: line too long");
  }
  const std::size_t length = lf + 1 - pos_;
  std::string_view line = std::string_view(in_).substr(pos_, length - 1);
  pos_ = lf + 1;
  if (length > kSmtpMaxCommandLine) {
    return error(500, "5.5.2", "Error: line too long");
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return command(line);
}

SmtpAction SmtpSession::command(std::string_view line) {
  const SmtpCommandLine cmd = split_command(line);
  const bool lmtp = config_.protocol == SmtpProtocol::lmtp;
  switch (cmd.verb) {
    case SmtpVerb::helo:
    case SmtpVerb::ehlo:
      if (lmtp) {
        return error(500, "5.5.1", "Error: LMTP: use LHLO");
      }
      return hello(cmd.arg, cmd.verb == SmtpVerb::ehlo);
    case SmtpVerb::lhlo:
      if (!lmtp) {
        return error(500, "5.5.2", "Error: command not recognized");
      }
      return hello(cmd.arg, true);
    case SmtpVerb::mail:
      return mail(cmd.arg);
    case SmtpVerb::rcpt:
      return rcpt(cmd.arg);
    case SmtpVerb::data:
      return data(cmd.arg);
    case SmtpVerb::rset:
      if (!cmd.arg.empty()) {
        return error(501, "5.5.4", "Syntax: RSET");
      }
      reset_transaction();
      return reply(250, "2.0.0", "Ok");
    case SmtpVerb::noop:
      return reply(250, "2.0.0", "Ok");
    case SmtpVerb::quit:
      return close_with(221, "2.0.0", "Bye");
    case SmtpVerb::vrfy:
      if (cmd.arg.empty()) {
        return error(501, "5.5.4", "Syntax: VRFY address");
      }
      // RFC 5321 §3.5.3: 252 when the address is not verified, but mail to it is accepted.
      return reply(252, "2.0.0", "Cannot VRFY user; try RCPT to attempt delivery");
    case SmtpVerb::help:
      return reply(214, "2.0.0",
                   lmtp ? "Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"
                        : "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
    case SmtpVerb::not_implemented:
      return error(502, "5.5.1", "Error: command not implemented");
    case SmtpVerb::non_smtp:
      return close_with(421, "4.7.0", config_.hostname + " Error: non-SMTP command");
    case SmtpVerb::empty:
      return error(500, "5.5.2", "Error: bad syntax");
    case SmtpVerb::unknown:
      return error(500, "5.5.2", "Error: command not recognized");
  }
  return error(500, "5.5.2", "Error: command not recognized");
}

SmtpAction SmtpSession::hello(std::string_view arg, bool extended) {
  const std::string_view name = arg.substr(0, arg.find_first_of(" \t"));
  const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  });
  if (name.empty() || !printable) {
    return error(501, "5.5.4",
                 config_.protocol == SmtpProtocol::lmtp ? "Syntax: LHLO hostname"
                 : extended                             ? "Syntax: EHLO hostname"
                                                        : "Syntax: HELO hostname");
  }
  helo_ = std::string(name);
  // RFC 5321 §4.1.4: a later EHLO or HELO resets the transaction.
  reset_transaction();
  stage_ = Stage::ready;
  if (!extended) {
    return {SmtpAction::Kind::reply, "250 " + config_.hostname + "\r\n", {}};
  }
  std::string text = "250-" + config_.hostname + "\r\n";
  text += "250-PIPELINING\r\n";
  text += "250-SIZE " + std::to_string(config_.limits.max_message_bytes) + "\r\n";
  text += "250-8BITMIME\r\n";
  text += "250 ENHANCEDSTATUSCODES\r\n";
  return {SmtpAction::Kind::reply, std::move(text), {}};
}

SmtpAction SmtpSession::mail(std::string_view arg) {
  if (stage_ == Stage::need_helo) {
    return error(503, "5.5.1",
                 config_.protocol == SmtpProtocol::lmtp ? "Error: send LHLO first"
                                                        : "Error: send HELO/EHLO first");
  }
  if (stage_ == Stage::mail) {
    return error(503, "5.5.1", "Error: nested MAIL command");
  }
  auto path = parse_smtp_path(arg, "FROM:");
  if (!path) {
    return error(501, "5.1.7", "Bad sender address syntax");
  }
  auto params = parse_mail_params(path->params);
  if (!params) {
    switch (params.error().problem) {
      case ParamProblem::unknown:
        return error(555, "5.5.4", "Unsupported option: " + params.error().name);
      case ParamProblem::bad_value:
        return error(501, "5.5.4", "Bad " + params.error().name + " parameter");
    }
  }
  if (params->size && *params->size > config_.limits.max_message_bytes) {
    return reply(552, "5.3.4", "Message size exceeds fixed limit");  // RFC 1870 §6.1
  }
  reset_transaction();
  envelope_.mail_from = std::move(path->address);
  envelope_.body = params->body;
  stage_ = Stage::mail;
  return reply(250, "2.1.0", "Ok");
}

SmtpAction SmtpSession::rcpt(std::string_view arg) {
  if (stage_ != Stage::mail) {
    return error(503, "5.5.1", "Error: need MAIL command");
  }
  auto path = parse_smtp_path(arg, "TO:");
  if (!path || path->address.empty()) {
    return error(501, "5.1.3", "Bad recipient address syntax");
  }
  if (!path->params.empty()) {
    const std::string_view name = path->params.substr(0, path->params.find_first_of(" \t="));
    return error(555, "5.5.4", "Unsupported option: " + std::string(name.substr(0, 64)));
  }
  if (envelope_.recipients.size() >= config_.limits.max_recipients) {
    return reply(452, "4.5.3", "Error: too many recipients");
  }
  pending_ = Pending::recipient;
  pending_recipient_ = path->address;
  return {SmtpAction::Kind::check_recipient, std::move(path->address), {}};
}

SmtpAction SmtpSession::data(std::string_view arg) {
  if (stage_ != Stage::mail) {
    return error(503, "5.5.1",
                 stage_ == Stage::ready ? "Error: need MAIL command" : "Error: send HELO first");
  }
  if (envelope_.recipients.empty()) {
    // RFC 2033 §4.2: an LMTP server MUST answer 503; RFC 5321 §3.3 allows 503 or 554.
    return config_.protocol == SmtpProtocol::lmtp
               ? error(503, "5.5.1", "Error: no valid recipients")
               : error(554, "5.5.1", "Error: no valid recipients");
  }
  if (!arg.empty()) {
    return error(501, "5.5.4", "Syntax: DATA");
  }
  stage_ = Stage::data;
  data_state_ = DataState::line_start;
  data_bytes_ = 0;
  too_large_ = false;
  bare_line_end_ = false;
  envelope_.message.clear();
  return {SmtpAction::Kind::reply, "354 End data with <CR><LF>.<CR><LF>\r\n", {}};
}

void SmtpSession::answer_recipient(const RecipientVerdict& verdict) {
  if (pending_ != Pending::recipient) {
    return;
  }
  pending_ = Pending::none;
  const SmtpReply chosen =
      chosen_reply(verdict.verdict, verdict.reply,
                   {SmtpReply{250, "2.1.5", "Ok"},
                    SmtpReply{450, "4.2.0", "Recipient address temporarily unavailable"},
                    SmtpReply{550, "5.1.1", "Recipient address rejected: User unknown"}});
  if (verdict.verdict == Verdict::accept) {
    envelope_.recipients.push_back(std::move(pending_recipient_));
  }
  pending_recipient_.clear();
  queued_ = render_smtp_reply(chosen);
}

void SmtpSession::answer_delivery(const std::vector<DeliveryVerdict>& verdicts) {
  if (pending_ != Pending::delivery) {
    return;
  }
  pending_ = Pending::none;
  const std::size_t replies = config_.protocol == SmtpProtocol::lmtp ? delivering_ : 1;
  for (std::size_t i = 0; i < replies; ++i) {
    const DeliveryVerdict verdict =
        i < verdicts.size() ? verdicts[i] : DeliveryVerdict{Verdict::temporary, std::nullopt};
    queued_ += render_smtp_reply(
        chosen_reply(verdict.verdict, verdict.reply,
                     {SmtpReply{250, "2.0.0", "Ok"},
                      SmtpReply{451, "4.3.0", "Error: delivery failed, try again later"},
                      SmtpReply{554, "5.6.0", "Error: message refused"}}));
  }
  delivering_ = 0;
}

std::string SmtpSession::stop(SmtpStop why) {
  if (stage_ == Stage::closed) {
    return {};
  }
  stage_ = Stage::closed;
  pending_ = Pending::none;
  queued_.clear();
  in_.clear();
  pos_ = 0;
  switch (why) {
    case SmtpStop::shutdown:
      return "421 4.3.2 " + config_.hostname + " Service shutting down\r\n";
    case SmtpStop::timeout:
      return "421 4.4.2 " + config_.hostname + " Error: timeout exceeded\r\n";
  }
  return "421 4.3.2 " + config_.hostname + " Service shutting down\r\n";
}

SmtpPhase SmtpSession::phase() const {
  if (pending_ != Pending::none) {
    return SmtpPhase::waiting;
  }
  switch (stage_) {
    case Stage::greeting:
    case Stage::need_helo:
    case Stage::ready:
    case Stage::mail:
      return SmtpPhase::command;
    case Stage::data:
      return SmtpPhase::data;
    case Stage::closed:
      return SmtpPhase::closed;
  }
  return SmtpPhase::closed;
}

bool SmtpSession::partial_command() const {
  return phase() == SmtpPhase::command && (skipping_line_ || pos_ < in_.size());
}

SmtpAction SmtpSession::error(unsigned code, std::string_view status, std::string_view text) {
  ++errors_;
  SmtpAction action = reply(code, status, text);
  if (config_.limits.max_errors != 0 && errors_ >= config_.limits.max_errors) {
    action.text += "421 4.7.0 " + config_.hostname + " Error: too many errors\r\n";
    stage_ = Stage::closed;
    in_.clear();
    pos_ = 0;
  }
  return action;
}

SmtpAction SmtpSession::reply(unsigned code, std::string_view status, std::string_view text) const {
  return {SmtpAction::Kind::reply,
          render_smtp_reply(SmtpReply{code, std::string(status), std::string(text)}),
          {}};
}

SmtpAction SmtpSession::close_with(unsigned code, std::string_view status, std::string_view text) {
  SmtpAction action = reply(code, status, text);
  stage_ = Stage::closed;
  in_.clear();
  pos_ = 0;
  return action;
}

void SmtpSession::reset_transaction() {
  envelope_ = SmtpEnvelope{};
  if (stage_ == Stage::mail || stage_ == Stage::data) {
    stage_ = Stage::ready;
  }
}

void SmtpSession::compact() {
  in_.erase(0, pos_);
  pos_ = 0;
}

}  // namespace mtasts::core
