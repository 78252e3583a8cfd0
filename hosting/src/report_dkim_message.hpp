#pragma once

// The message handling under report_dkim.cpp (and the envelope line for report_mail.cpp): line
// ends, header fields and DKIM tag lists, as RFC 5322 and RFC 6376 §3.2 write them. Private to
// hosting.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::hosting {

// `message` without a leading mbox envelope line "From sender date", which local delivery agents
// put before the header (it has no colon after "From", so it is not a header field).
[[nodiscard]] std::string_view mail_without_envelope_line(std::string_view message);

// `message` with every bare LF (and bare CR) made CRLF: mail stored by a local delivery agent
// has LF line ends, DKIM hashes the CRLF form it was signed in.
[[nodiscard]] std::string dkim_crlf(std::string_view message);

struct DkimMessageParts {
  std::vector<std::string_view> fields;  // header fields with their folding, no final CRLF
  std::string_view body;                 // everything after the empty line; may be empty
};

// Splits a CRLF message; the views point into `crlf_message`.
[[nodiscard]] DkimMessageParts dkim_split_message(std::string_view crlf_message);

// The value of the field when `field` is named `name` (case-insensitive), else nullopt.
[[nodiscard]] std::optional<std::string_view> dkim_field_value(std::string_view field,
                                                               std::string_view name);

// The value of tag `tag` in the tag list `tags` (RFC 6376 §3.2) with all white space removed,
// or nullopt when the tag is absent.
[[nodiscard]] std::optional<std::string> dkim_tag_value(std::string_view tags,
                                                        std::string_view tag);

// `name` in lower case when it is a domain name of letters, digits, '-', '_' and '.' (no empty
// label, at most 253 characters), else nullopt.
[[nodiscard]] std::optional<std::string> dkim_domain_name(std::string_view name);

// "<selector>._domainkey.<domain>" in lower case when both are domain names (dkim_domain_name),
// else nullopt: the name of a DKIM key record (RFC 6376 §3.6.2.1).
[[nodiscard]] std::optional<std::string> dkim_key_name(std::string_view selector,
                                                       std::string_view domain);

// A key record with "s=tlsrpt" read as an e-mail key: RFC 8460 §3 asks reporters to publish
// s=tlsrpt, which libopendkim would refuse as "not an e-mail key" (RFC 6376 §3.6.1 s= lists
// service types; "email" and "*" are the ones it accepts). Other records are returned as given.
[[nodiscard]] std::string dkim_accept_tlsrpt_service(std::string_view record);

}  // namespace mtasts::hosting
