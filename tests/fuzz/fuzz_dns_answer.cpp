// Fuzzes the DNS response decoder (net/dns_message.hpp) and the interpretation of an answer
// for each type MTA-STS asks: never a crash or an out-of-bounds read, and the invariants below.
// Where both accept a message, the TXT records must agree with c-ares's own parser.

#include <ares.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "mtasts/net/dns/dns_message.hpp"

namespace {

using namespace mtasts::net;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void check_name(const std::string& name) {
  check(name.size() <= 4 * 255);  // \DDD escapes at most quadruple an octet
  for (const char c : name) {
    check(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z'));
  }
}

void check_interpretation(const dns::Message& message, const std::string& qname,
                          std::uint16_t qtype) {
  const dns::ChainAnswer answer = dns::interpret_answer(message, qname, qtype);
  check(answer.meta.cname_chain.size() <= kMaxCnameHops);
  check((answer.meta.status == DnsStatus::ok) == !answer.records.empty());
  check(answer.meta.status != DnsStatus::ok || answer.meta.ttl.has_value());
  check(!answer.needs_requery || answer.meta.status == DnsStatus::nodata);
  for (const dns::ResourceRecord& rr : answer.records) {
    check(rr.type == qtype && rr.name == answer.meta.canonical_name);
  }
}

// The TXT RRs of the answer section as c-ares 1.18 sees them; nullopt if it refuses.
std::optional<std::vector<std::vector<std::string>>> cares_txt(const std::uint8_t* data,
                                                               std::size_t size) {
  ares_txt_ext* head = nullptr;
  if (size > 65535 ||
      ares_parse_txt_reply_ext(data, static_cast<int>(size), &head) != ARES_SUCCESS) {
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> records;
  for (const ares_txt_ext* part = head; part != nullptr; part = part->next) {
    if (part->record_start != 0 || records.empty()) {
      records.emplace_back();
    }
    records.back().emplace_back(reinterpret_cast<const char*>(part->txt), part->length);
  }
  ares_free_data(head);
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto message = dns::parse_message(std::span(data, size));
  if (!message) {
    return 0;
  }
  for (const auto* section : {&message->answers, &message->authority}) {
    for (const dns::ResourceRecord& rr : *section) {
      check_name(rr.name);
    }
  }
  std::string qname = "_mta-sts.example.com";
  if (!message->questions.empty()) {
    check_name(message->questions.front().name);
    qname = message->questions.front().name;
  }
  for (std::uint16_t qtype : {dns::kTypeTxt, dns::kTypeMx, dns::kTypeA, dns::kTypeAaaa,
                              dns::kTypeCname, dns::kTypeTlsa, dns::kTypeNs}) {
    check_interpretation(*message, qname, qtype);
  }

  // c-ares 1.18 reads TXT of any class; we decode class IN only.
  const bool all_in =
      std::all_of(message->answers.begin(), message->answers.end(),
                  [](const dns::ResourceRecord& rr) { return rr.rclass == dns::kClassIn; });
  if (message->questions.size() == 1 && all_in) {
    if (const auto theirs = cares_txt(data, size)) {
      std::vector<std::vector<std::string>> ours;
      for (const dns::ResourceRecord& rr : message->answers) {
        if (const auto* txt = std::get_if<dns::Txt>(&rr.rdata); txt && !txt->strings.empty()) {
          ours.push_back(txt->strings);
        }
      }
      check(ours == *theirs);
    }
  }
  return 0;
}
