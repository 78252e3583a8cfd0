#include "mtasts/net/dns/dns_message.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <limits>

namespace mtasts::net::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxNameOctets = 255;  // RFC 1035 §3.1, length octets included
constexpr std::size_t kNoOffset = std::numeric_limits<std::size_t>::max();

using Wire = std::span<const std::uint8_t>;

tl::unexpected<core::Error> malformed(const std::string& what, std::size_t offset) {
  return core::fail(core::Errc::invalid_syntax,
                    "malformed DNS message: " + what + " at offset " + std::to_string(offset));
}

std::uint16_t get16(Wire wire, std::size_t at) {
  return static_cast<std::uint16_t>((wire[at] << 8) | wire[at + 1]);
}

std::uint32_t get32(Wire wire, std::size_t at) {
  return (std::uint32_t{wire[at]} << 24) | (std::uint32_t{wire[at + 1]} << 16) |
         (std::uint32_t{wire[at + 2]} << 8) | std::uint32_t{wire[at + 3]};
}

bool fits(Wire wire, std::size_t at, std::size_t count) {
  return at <= wire.size() && count <= wire.size() - at;
}

void append_label(std::string& out, Wire label) {
  for (std::uint8_t byte : label) {
    const bool keep = (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '-' ||
                      byte == '_' || byte == '*';
    if (byte >= 'A' && byte <= 'Z') {
      out.push_back(static_cast<char>(byte - 'A' + 'a'));
    } else if (keep) {
      out.push_back(static_cast<char>(byte));
    } else {
      // RFC 1035 §5.1 \DDD form, so a label holding '.' cannot pass for two labels.
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + byte / 100));
      out.push_back(static_cast<char>('0' + (byte / 10) % 10));
      out.push_back(static_cast<char>('0' + byte % 10));
    }
  }
}

struct NameAt {
  std::string text;
  std::size_t next = 0;  // offset just after the name's in-place octets
};

// RFC 1035 §4.1.4. Each compression pointer must point before the previous jump target (and
// before itself), so the walk strictly moves backwards between jumps and always ends.
core::Result<NameAt> read_name(Wire wire, std::size_t start) {
  NameAt name;
  std::size_t cur = start;
  std::size_t end = kNoOffset;
  std::size_t limit = kNoOffset;
  std::size_t octets = 0;
  while (true) {
    if (cur >= wire.size()) {
      return malformed("name runs past the end", cur);
    }
    const std::uint8_t length = wire[cur];
    if ((length & 0xC0) == 0xC0) {
      if (!fits(wire, cur, 2)) {
        return malformed("truncated compression pointer", cur);
      }
      const std::size_t target = get16(wire, cur) & 0x3FFFu;
      if (target >= cur || target >= limit) {
        return malformed("compression pointer does not point backwards", cur);
      }
      if (end == kNoOffset) {
        end = cur + 2;
      }
      limit = target;
      cur = target;
      continue;
    }
    if ((length & 0xC0) != 0) {
      return malformed("reserved label type", cur);
    }
    octets += 1u + length;
    if (octets > kMaxNameOctets) {
      return malformed("name longer than 255 octets", start);
    }
    ++cur;
    if (length == 0) {
      break;
    }
    if (!fits(wire, cur, length)) {
      return malformed("label runs past the end", cur);
    }
    if (!name.text.empty()) {
      name.text.push_back('.');
    }
    append_label(name.text, wire.subspan(cur, length));
    cur += length;
  }
  name.next = end == kNoOffset ? cur : end;
  return name;
}

core::Result<Rdata> read_rdata(Wire wire, std::uint16_t type, std::size_t at, std::size_t size) {
  const std::size_t rdata_end = at + size;
  // A name inside RDATA must end exactly where the fixed fields say it does.
  auto name_in_rdata = [&](std::size_t offset) -> core::Result<NameAt> {
    auto name = read_name(wire, offset);
    if (name && name->next > rdata_end) {
      return malformed("name runs past its RDATA", offset);
    }
    return name;
  };
  auto must_end_at = [&](std::size_t offset) -> core::Result<void> {
    if (offset != rdata_end) {
      return malformed("RDATA length does not match its content", at);
    }
    return {};
  };
  switch (type) {
    case kTypeCname: {
      auto target = name_in_rdata(at);
      if (!target) {
        return tl::unexpected(target.error());
      }
      return must_end_at(target->next).transform([&] { return Rdata{Cname{target->text}}; });
    }
    case kTypeMx: {
      if (size < 3) {
        return malformed("MX RDATA too short", at);
      }
      auto exchange = name_in_rdata(at + 2);
      if (!exchange) {
        return tl::unexpected(exchange.error());
      }
      Mx mx{get16(wire, at), exchange->text};
      return must_end_at(exchange->next).transform([&] { return Rdata{mx}; });
    }
    case kTypeSoa: {
      auto mname = name_in_rdata(at);
      if (!mname) {
        return tl::unexpected(mname.error());
      }
      auto rname = name_in_rdata(mname->next);
      if (!rname) {
        return tl::unexpected(rname.error());
      }
      const std::size_t fixed = rname->next;
      if (fixed > rdata_end || rdata_end - fixed != 20) {
        return malformed("SOA RDATA length does not match its content", at);
      }
      return Rdata{Soa{mname->text, rname->text, get32(wire, fixed), get32(wire, fixed + 4),
                       get32(wire, fixed + 8), get32(wire, fixed + 12), get32(wire, fixed + 16)}};
    }
    case kTypeA:
    case kTypeAaaa: {
      const bool v4 = type == kTypeA;
      if (size != (v4 ? 4u : 16u)) {
        return malformed(v4 ? "A RDATA is not 4 octets" : "AAAA RDATA is not 16 octets", at);
      }
      std::array<char, INET6_ADDRSTRLEN> text{};
      if (inet_ntop(v4 ? AF_INET : AF_INET6, wire.data() + at, text.data(),
                    static_cast<socklen_t>(text.size())) == nullptr) {
        return malformed("unprintable address", at);
      }
      return Rdata{Address{text.data()}};
    }
    case kTypeTxt: {
      Txt txt;
      std::size_t cur = at;
      while (cur < rdata_end) {
        const std::size_t length = wire[cur];
        if (length > rdata_end - cur - 1) {
          return malformed("TXT string runs past its RDATA", cur);
        }
        const auto* first = reinterpret_cast<const char*>(wire.data() + cur + 1);
        txt.strings.emplace_back(first, length);
        cur += 1 + length;
      }
      return Rdata{std::move(txt)};
    }
    case kTypeTlsa: {
      if (size < 3) {
        return malformed("TLSA RDATA too short", at);
      }
      return Rdata{Tlsa{core::TlsaRecord{wire[at], wire[at + 1], wire[at + 2], size - 3}}};
    }
    default:
      return Rdata{Opaque{}};
  }
}

core::Result<ResourceRecord> read_record(Wire wire, std::size_t& offset) {
  auto name = read_name(wire, offset);
  if (!name) {
    return tl::unexpected(name.error());
  }
  std::size_t at = name->next;
  if (!fits(wire, at, 10)) {
    return malformed("truncated resource record", at);
  }
  ResourceRecord rr;
  rr.name = std::move(name->text);
  rr.type = get16(wire, at);
  rr.rclass = get16(wire, at + 2);
  const std::uint32_t ttl = get32(wire, at + 4);
  rr.ttl = (ttl & 0x80000000u) != 0 ? 0 : ttl;  // RFC 2181 §8
  const std::size_t size = get16(wire, at + 8);
  at += 10;
  if (!fits(wire, at, size)) {
    return malformed("RDATA runs past the end", at);
  }
  if (rr.rclass == kClassIn) {
    auto rdata = read_rdata(wire, rr.type, at, size);
    if (!rdata) {
      return tl::unexpected(rdata.error());
    }
    rr.rdata = std::move(*rdata);
  }
  offset = at + size;
  return rr;
}

core::Result<void> read_section(Wire wire, std::size_t& offset, std::size_t count,
                                std::vector<ResourceRecord>& out) {
  for (std::size_t i = 0; i < count; ++i) {
    auto rr = read_record(wire, offset);
    if (!rr) {
      return tl::unexpected(rr.error());
    }
    out.push_back(std::move(*rr));
  }
  return {};
}

std::optional<std::uint32_t> negative_ttl(const Message& message) {
  for (const ResourceRecord& rr : message.authority) {
    if (const auto* soa = std::get_if<Soa>(&rr.rdata)) {
      return std::min(rr.ttl, soa->minimum);  // RFC 2308 §5
    }
  }
  return std::nullopt;
}

const ResourceRecord* find_cname(const Message& message, const std::string& owner) {
  for (const ResourceRecord& rr : message.answers) {
    if (rr.name == owner && std::holds_alternative<Cname>(rr.rdata)) {
      return &rr;
    }
  }
  return nullptr;
}

std::string rcode_text(std::uint8_t rcode) {
  switch (rcode) {
    case kRcodeFormErr:
      return "FORMERR";
    case kRcodeServFail:
      return "SERVFAIL";
    case kRcodeNotImp:
      return "NOTIMP";
    case kRcodeRefused:
      return "REFUSED";
    default:
      return "rcode " + std::to_string(rcode);
  }
}

}  // namespace

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

core::Result<Message> parse_message(std::span<const std::uint8_t> wire) {
  if (wire.size() < kHeaderSize) {
    return malformed("header shorter than 12 octets", 0);
  }
  Message message;
  message.id = get16(wire, 0);
  const std::uint16_t flags = get16(wire, 2);
  message.is_response = (flags & 0x8000u) != 0;
  message.truncated = (flags & 0x0200u) != 0;
  message.authenticated = (flags & 0x0020u) != 0;
  message.rcode = static_cast<std::uint8_t>(flags & 0x000Fu);
  const std::size_t qdcount = get16(wire, 4);
  const std::size_t ancount = get16(wire, 6);
  const std::size_t nscount = get16(wire, 8);
  std::size_t offset = kHeaderSize;
  for (std::size_t i = 0; i < qdcount; ++i) {
    auto name = read_name(wire, offset);
    if (!name) {
      return tl::unexpected(name.error());
    }
    if (!fits(wire, name->next, 4)) {
      return malformed("truncated question", name->next);
    }
    message.questions.push_back(
        Question{std::move(name->text), get16(wire, name->next), get16(wire, name->next + 2)});
    offset = name->next + 4;
  }
  auto sections = read_section(wire, offset, ancount, message.answers).and_then([&] {
    return read_section(wire, offset, nscount, message.authority);
  });
  if (!sections) {
    return tl::unexpected(sections.error());
  }
  return message;
}

ChainAnswer interpret_answer(const Message& message, std::string_view qname, std::uint16_t qtype) {
  ChainAnswer answer;
  DnsMeta& meta = answer.meta;
  meta.query_name = normalize_name(qname);
  meta.canonical_name = meta.query_name;
  meta.authenticated = message.authenticated;
  if (message.rcode != kRcodeNoError && message.rcode != kRcodeNxDomain) {
    const bool server_failure = message.rcode == kRcodeServFail || message.rcode == kRcodeRefused;
    meta.status = server_failure ? DnsStatus::servfail : DnsStatus::error;
    meta.message = "the server answered " + rcode_text(message.rcode);
    return answer;
  }

  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  std::string current = meta.query_name;
  while (true) {
    for (const ResourceRecord& rr : message.answers) {
      if (rr.name == current && rr.type == qtype && rr.rclass == kClassIn) {
        answer.records.push_back(rr);
        ttl = std::min(ttl, rr.ttl);
      }
    }
    if (!answer.records.empty() || qtype == kTypeCname) {
      break;
    }
    const ResourceRecord* cname = find_cname(message, current);
    if (cname == nullptr) {
      break;
    }
    const std::string& target = std::get<Cname>(cname->rdata).target;
    const bool seen = target == meta.query_name ||
                      std::find(meta.cname_chain.begin(), meta.cname_chain.end(), target) !=
                          meta.cname_chain.end();
    if (seen || meta.cname_chain.size() >= kMaxCnameHops) {
      meta.status = DnsStatus::cname_loop;
      meta.message = seen ? "the CNAME chain loops back to " + target
                          : "the CNAME chain is longer than " + std::to_string(kMaxCnameHops);
      answer.records.clear();
      return answer;
    }
    meta.cname_chain.push_back(target);
    ttl = std::min(ttl, cname->ttl);
    current = target;
  }
  meta.canonical_name = current;

  if (message.rcode == kRcodeNxDomain) {
    meta.status = DnsStatus::nxdomain;
    meta.ttl = negative_ttl(message);
    answer.records.clear();
    return answer;
  }
  if (!answer.records.empty()) {
    meta.status = DnsStatus::ok;
    meta.ttl = ttl;
    return answer;
  }
  meta.status = DnsStatus::nodata;
  meta.ttl = negative_ttl(message);
  // A CNAME without its target's data and without a SOA: the server did not chase the chain.
  answer.needs_requery = !meta.cname_chain.empty() && !meta.ttl.has_value();
  return answer;
}

}  // namespace mtasts::net::dns
