#include "mtasts/core/base/civil_date.hpp"

namespace mtasts::core {
namespace {

constexpr std::int64_t kDaysPer400Years = 146097;
// Days from 0000-03-01 (the start of the shifted calendar below) to 1970-01-01.
constexpr std::int64_t kEpochShift = 719468;

}  // namespace

std::int64_t days_from_civil(CivilDate date) {
  // Count years from March so that the leap day is the last day of a year; a 400-year era then
  // always has kDaysPer400Years days and the month lengths from March repeat every five months
  // (153 days), which the (153 * m + 2) / 5 term encodes.
  const std::int64_t year = date.month <= 2 ? date.year - 1 : date.year;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;  // 0..399
  const std::int64_t month_from_march = date.month > 2 ? date.month - 3 : date.month + 9;
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * kDaysPer400Years + day_of_era - kEpochShift;
}

CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t shifted = days + kEpochShift;
  const std::int64_t era =
      (shifted >= 0 ? shifted : shifted - (kDaysPer400Years - 1)) / kDaysPer400Years;
  const std::int64_t day_of_era = shifted - era * kDaysPer400Years;  // 0..146096
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const auto day = static_cast<unsigned>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const auto month =
      static_cast<unsigned>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{year, month, day};
}

}  // namespace mtasts::core
