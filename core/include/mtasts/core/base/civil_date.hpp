#pragma once

// Days of the proleptic Gregorian calendar counted from 1970-01-01, by arithmetic alone (no
// clock, no timezone database, no C library time functions): what every date parser of core
// (ACME, certificate expiry, TLS-RPT date-times) turns its fields into.

#include <cstdint>

namespace mtasts::core {

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days from 1970-01-01 to `date` (negative before it). `date` must be a real calendar day.
[[nodiscard]] std::int64_t days_from_civil(CivilDate date);

// The inverse of days_from_civil.
[[nodiscard]] CivilDate civil_from_days(std::int64_t days);

}  // namespace mtasts::core
