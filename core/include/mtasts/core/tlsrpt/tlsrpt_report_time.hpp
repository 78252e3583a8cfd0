#pragma once

// Date-times of TLS-RPT reports (RFC 8460 §4.4 "date-time": RFC 3339 §5.6 Internet Date/Time
// Format), read into seconds since 1970-01-01T00:00:00Z with calendar arithmetic only: no clock,
// no timezone database, no C library time functions.

#include <cstdint>
#include <optional>
#include <string_view>

#include "mtasts/core/base/civil_date.hpp"

namespace mtasts::core {

// How a date-time named its zone.
enum class TimeZoneForm {
  utc,     // "Z" or "z" (or "+00:00", which RFC 3339 §4.3 also reads as UTC)
  offset,  // a numeric offset other than +00:00, e.g. "+02:00"
  none,    // no zone at all: not RFC 3339, read as UTC by the caller's choice
};

struct Rfc3339Time {
  std::int64_t epoch_seconds = 0;  // whole seconds since the epoch, UTC, rounded down
  std::uint32_t nanoseconds = 0;   // the fraction of the second, first nine digits
  TimeZoneForm zone = TimeZoneForm::utc;
};

// Reads "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; the separator may be "T", "t" or one
// space, and the zone may be left out (zone == none, read as UTC). A leap second ":60" is
// accepted and counts as the first second of the next minute. Returns nullopt for anything
// else, including impossible days such as 2023-02-29 and trailing text.
[[nodiscard]] std::optional<Rfc3339Time> parse_rfc3339_time(std::string_view text);

}  // namespace mtasts::core
