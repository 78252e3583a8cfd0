#include "report_dkim_message.hpp"

#include <algorithm>
#include <cctype>

namespace mtasts::hosting {

namespace {

constexpr std::string_view kWhiteSpace = " \t\r\n";
constexpr std::size_t kMaxDomainLength = 253;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kWhiteSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kWhiteSpace) - first + 1);
}

std::string strip_white_space(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (kWhiteSpace.find(c) == std::string_view::npos) {
      out.push_back(c);
    }
  }
  return out;
}

// Calls `visit(name, value)` for each "name=value" of a tag list, both trimmed.
template <class Visit>
void for_each_tag(std::string_view tags, Visit visit) {
  while (!tags.empty()) {
    const auto end = std::min(tags.find(';'), tags.size());
    const std::string_view tag = tags.substr(0, end);
    tags.remove_prefix(std::min(end + 1, tags.size()));
    const auto equals = tag.find('=');
    if (equals != std::string_view::npos) {
      visit(trim(tag.substr(0, equals)), trim(tag.substr(equals + 1)));
    }
  }
}

}  // namespace

std::string_view mail_without_envelope_line(std::string_view message) {
  if (!message.starts_with("From ")) {
    return message;
  }
  const auto next = message.find_first_not_of(' ', 5);
  if (next == std::string_view::npos || message[next] == ':') {
    return message;  // "From : a@b.example", obsolete but a header field
  }
  const auto end = message.find('\n');
  return end == std::string_view::npos ? std::string_view() : message.substr(end + 1);
}

std::string dkim_crlf(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 32);
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < message.size() && message[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

DkimMessageParts dkim_split_message(std::string_view crlf_message) {
  DkimMessageParts parts;
  std::size_t pos = 0;
  while (pos < crlf_message.size()) {
    if (crlf_message.substr(pos).starts_with("\r\n")) {
      parts.body = crlf_message.substr(pos + 2);
      return parts;
    }
    // A field runs to the CRLF that is not followed by white space (RFC 5322 §2.2.3 folding).
    std::size_t end = pos;
    while (true) {
      end = crlf_message.find("\r\n", end);
      if (end == std::string_view::npos) {
        end = crlf_message.size();
        break;
      }
      if (end + 2 < crlf_message.size() &&
          (crlf_message[end + 2] == ' ' || crlf_message[end + 2] == '\t')) {
        end += 2;
        continue;
      }
      break;
    }
    parts.fields.push_back(crlf_message.substr(pos, end - pos));
    pos = std::min(end + 2, crlf_message.size());
  }
  return parts;
}

std::optional<std::string_view> dkim_field_value(std::string_view field, std::string_view name) {
  const auto colon = field.find(':');
  if (colon == std::string_view::npos || !iequals(trim(field.substr(0, colon)), name)) {
    return std::nullopt;
  }
  return field.substr(colon + 1);
}

std::optional<std::string> dkim_tag_value(std::string_view tags, std::string_view tag) {
  std::optional<std::string> found;
  for_each_tag(tags, [&](std::string_view name, std::string_view value) {
    if (!found && name == tag) {
      found = strip_white_space(value);
    }
  });
  return found;
}

std::optional<std::string> dkim_domain_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDomainLength || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '-' && c != '_' && c != '.') {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

std::optional<std::string> dkim_key_name(std::string_view selector, std::string_view domain) {
  const auto s = dkim_domain_name(selector);
  const auto d = dkim_domain_name(domain);
  if (!s || !d) {
    return std::nullopt;
  }
  return *s + "._domainkey." + *d;
}

std::string dkim_accept_tlsrpt_service(std::string_view record) {
  bool tlsrpt_only = false;
  for_each_tag(record, [&](std::string_view name, std::string_view value) {
    if (name != "s") {
      return;
    }
    bool tlsrpt = false;
    bool email = false;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto end = std::min(rest.find(':'), rest.size());
      const std::string_view service = trim(rest.substr(0, end));
      rest.remove_prefix(std::min(end + 1, rest.size()));
      tlsrpt = tlsrpt || iequals(service, "tlsrpt");
      email = email || iequals(service, "email") || service == "*";
    }
    tlsrpt_only = tlsrpt && !email;
  });
  if (!tlsrpt_only) {
    return std::string(record);
  }
  std::string out;
  for_each_tag(record, [&](std::string_view name, std::string_view value) {
    out +=
        std::string(name) + "=" + (name == "s" ? std::string("email") : std::string(value)) + ";";
  });
  return out;
}

}  // namespace mtasts::hosting
