#pragma once

// Builds DNS messages byte by byte for tests: well-formed ones, and hostile ones by editing
// the bytes afterwards.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::net::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

inline void put32(Bytes& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

// Uncompressed wire form of a dotted name ("" is the root).
inline Bytes encode_name(std::string_view name) {
  Bytes out;
  while (!name.empty()) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
  return out;
}

inline Bytes txt_rdata(const std::vector<std::string>& strings) {
  Bytes out;
  for (const std::string& s : strings) {
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

inline Bytes mx_rdata(std::uint16_t preference, std::string_view exchange) {
  Bytes out;
  put16(out, preference);
  const Bytes name = encode_name(exchange);
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

inline Bytes soa_rdata(std::string_view mname, std::string_view rname, std::uint32_t minimum) {
  Bytes out = encode_name(mname);
  const Bytes r = encode_name(rname);
  out.insert(out.end(), r.begin(), r.end());
  for (std::uint32_t v : {2024010101u, 3600u, 600u, 86400u}) {
    put32(out, v);
  }
  put32(out, minimum);
  return out;
}

struct WireRecord {
  std::string name;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  Bytes rdata;
  std::uint16_t rclass = 1;
};

// A response to one question, flags QR|RD|RA plus rcode.
inline Bytes build_response(std::uint16_t id, std::uint8_t rcode, std::string_view qname,
                            std::uint16_t qtype, const std::vector<WireRecord>& answers,
                            const std::vector<WireRecord>& authority = {}) {
  Bytes out;
  put16(out, id);
  put16(out, static_cast<std::uint16_t>(0x8180u | rcode));
  put16(out, 1);
  put16(out, static_cast<std::uint16_t>(answers.size()));
  put16(out, static_cast<std::uint16_t>(authority.size()));
  put16(out, 0);
  const Bytes q = encode_name(qname);
  out.insert(out.end(), q.begin(), q.end());
  put16(out, qtype);
  put16(out, 1);
  for (const auto* section : {&answers, &authority}) {
    for (const WireRecord& rr : *section) {
      const Bytes name = encode_name(rr.name);
      out.insert(out.end(), name.begin(), name.end());
      put16(out, rr.type);
      put16(out, rr.rclass);
      put32(out, rr.ttl);
      put16(out, static_cast<std::uint16_t>(rr.rdata.size()));
      out.insert(out.end(), rr.rdata.begin(), rr.rdata.end());
    }
  }
  return out;
}

}  // namespace mtasts::net::testing
