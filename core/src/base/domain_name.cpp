#include "mtasts/core/base/domain_name.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return false;
  }
  if (label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_ipv4_dotted_quad(std::string_view name) {
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    const std::size_t dot = std::min(name.find('.', pos), name.size());
    const std::string_view part = name.substr(pos, dot - pos);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return is_digit(c); })) {
      return false;
    }
    ++parts;
    pos = dot + 1;
  }
  return parts == 4;
}

// Converts a name with non-ASCII bytes to A-labels. libidn2 is pure computation.
Result<std::string> to_a_labels(std::string_view name) {
  const std::string input(name);
  char* output = nullptr;
  const int rc = idn2_to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&std::free)> owned(output, &std::free);
  if (rc != IDN2_OK || output == nullptr) {
    return fail(Errc::not_a_host_name, "\"" + printable(name) +
                                           "\" is not a valid internationalised domain name (" +
                                           idn2_strerror(rc) + ")");
  }
  return std::string(output);
}

// Whether an "xn--" label decodes to a U-label that IDNA2008 accepts and that encodes back to
// the same label (lowercase).
bool is_true_a_label(std::string_view label) {
  const std::string input = ascii_lower(label);
  char* decoded = nullptr;
  const int rc = idn2_to_unicode_8z8z(input.c_str(), &decoded, 0);
  const std::unique_ptr<char, decltype(&std::free)> owned_decoded(decoded, &std::free);
  if (rc != IDN2_OK || decoded == nullptr) {
    return false;
  }
  char* encoded = nullptr;
  const int back = idn2_to_ascii_8z(decoded, &encoded, IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&std::free)> owned_encoded(encoded, &std::free);
  return back == IDN2_OK && encoded != nullptr && input == encoded;
}

}  // namespace

std::string fake_a_label_problem(std::string_view name) {
  std::size_t pos = 0;
  while (pos <= name.size()) {
    const std::size_t dot = std::min(name.find('.', pos), name.size());
    const std::string_view label = name.substr(pos, dot - pos);
    if (label.size() > 4 && iequals(label.substr(0, 4), "xn--") && !is_true_a_label(label)) {
      return "label \"" + printable(label) +
             "\" begins with \"xn--\" but is not valid Punycode of an IDNA2008 label";
    }
    pos = dot + 1;
  }
  return {};
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = to_lower(c);
  }
  return out;
}

bool is_ldh_domain(std::string_view name) {
  if (name.empty() || name.size() > kMaxDomainLength) {
    return false;
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = name.find('.', pos);
    if (!is_ldh_label(name.substr(pos, dot == std::string_view::npos ? dot : dot - pos))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    pos = dot + 1;
  }
}

bool is_address_literal(std::string_view name) {
  if (!name.empty() && name.front() == '[') {
    return true;
  }
  if (name.find(':') != std::string_view::npos) {
    return true;
  }
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return is_ipv4_dotted_quad(name);
}

bool domain_equal(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '.') {
    a.remove_suffix(1);
  }
  if (!b.empty() && b.back() == '.') {
    b.remove_suffix(1);
  }
  return iequals(a, b);
}

Result<std::string> normalize_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.empty()) {
    return fail(Errc::not_a_host_name, "the domain name is empty");
  }
  std::string ascii;
  if (std::any_of(name.begin(), name.end(), [](char c) { return !is_ascii(c); })) {
    auto converted = to_a_labels(name);
    if (!converted) {
      return tl::unexpected(converted.error());
    }
    ascii = std::move(*converted);
  } else {
    ascii = std::string(name);
  }
  ascii = ascii_lower(ascii);
  if (ascii.size() > kMaxDomainLength) {
    return fail(Errc::not_a_host_name, "\"" + printable(name) + "\" is longer than 253 octets");
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = ascii.find('.', pos);
    const std::string_view label =
        std::string_view(ascii).substr(pos, dot == std::string::npos ? dot : dot - pos);
    if (!is_ldh_label(label)) {
      return fail(Errc::not_a_host_name,
                  "\"" + printable(name) + "\" is not a host name: label \"" + printable(label) +
                      "\" must be 1-63 letters, digits or hyphens, not starting or ending with a "
                      "hyphen");
    }
    if (dot == std::string::npos) {
      break;
    }
    pos = dot + 1;
  }
  if (std::string problem = fake_a_label_problem(ascii); !problem.empty()) {
    return fail(Errc::not_a_host_name,
                "\"" + printable(name) + "\" is not a host name: " + problem);
  }
  return ascii;
}

}  // namespace mtasts::core
