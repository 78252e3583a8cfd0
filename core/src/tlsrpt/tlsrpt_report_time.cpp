#include "mtasts/core/tlsrpt/tlsrpt_report_time.hpp"

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

bool is_leap_year(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) {
    return 29;
  }
  return kDays[month - 1];
}

// Reads exactly `count` decimal digits at `pos`; nullopt when any is not a digit.
std::optional<unsigned> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i])) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

struct Fields {
  unsigned year, month, day, hour, minute, second;
};

// "YYYY-MM-DD?HH:MM:SS" at the start of text, with the ranges RFC 3339 §5.7 allows.
std::optional<Fields> read_fields(std::string_view text) {
  const auto year = read_digits(text, 0, 4);
  const auto month = read_digits(text, 5, 2);
  const auto day = read_digits(text, 8, 2);
  const auto hour = read_digits(text, 11, 2);
  const auto minute = read_digits(text, 14, 2);
  const auto second = read_digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  return Fields{*year, *month, *day, *hour, *minute, *second};
}

}  // namespace

std::optional<Rfc3339Time> parse_rfc3339_time(std::string_view text) {
  if (text.size() < 19) {
    return std::nullopt;
  }
  const auto fields = read_fields(text);
  if (!fields) {
    return std::nullopt;
  }
  Rfc3339Time time;
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    std::uint32_t scale = 100000000;
    while (pos < text.size() && is_digit(text[pos])) {
      time.nanoseconds += static_cast<std::uint32_t>(text[pos] - '0') * scale;
      scale /= 10;  // digits past the ninth add nothing
      ++pos;
    }
    if (pos == first) {
      return std::nullopt;  // RFC 3339: time-secfrac = "." 1*DIGIT
    }
  }
  std::int64_t offset_seconds = 0;
  const std::string_view zone = text.substr(pos);
  if (zone.empty()) {
    time.zone = TimeZoneForm::none;
  } else if (zone == "Z" || zone == "z") {
    time.zone = TimeZoneForm::utc;
  } else {
    const auto hours = read_digits(zone, 1, 2);
    const auto minutes = read_digits(zone, 4, 2);
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !hours ||
        !minutes || *hours > 23 || *minutes > 59) {
      return std::nullopt;
    }
    offset_seconds =
        (zone[0] == '-' ? -1 : 1) * static_cast<std::int64_t>(*hours * 3600 + *minutes * 60);
    // RFC 3339 §4.3: "+00:00" is UTC; "-00:00" means the local offset is unknown, still UTC.
    time.zone = offset_seconds == 0 ? TimeZoneForm::utc : TimeZoneForm::offset;
  }
  const std::int64_t days = days_from_civil(CivilDate{fields->year, fields->month, fields->day});
  // A local time minus its offset is UTC (RFC 3339 §4.2: 12:00+02:00 is 10:00Z).
  time.epoch_seconds =
      days * 86400 + fields->hour * 3600 + fields->minute * 60 + fields->second - offset_seconds;
  return time;
}

}  // namespace mtasts::core
