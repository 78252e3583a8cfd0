#pragma once

// Reads the cells of one SQL result row (text cells, sql_database.hpp) in column order into
// typed values; the first cell that does not decode is remembered and reported by finish() as
// Errc::corrupt, naming the table and column.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/store_error.hpp"
#include "sql_database.hpp"

namespace mtasts::store {

// Reads the cells of one row in order; the first cell that does not decode is remembered and
// reported by finish(), naming the table and column.
class RowReader {
 public:
  RowReader(const SqlRow& row, std::string_view table) : row_(row), table_(table) {}

  std::string text(std::string_view column) {
    const SqlCell* cell = next(column);
    return cell != nullptr ? **cell : std::string();
  }

  std::optional<std::int64_t> optional_integer(std::string_view column) {
    if (column_ < row_.size() && !row_[column_]) {
      ++column_;
      return std::nullopt;
    }
    const SqlCell* cell = next(column);
    if (cell == nullptr) {
      return std::nullopt;
    }
    const std::string& digits = **cell;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      bad(column, "\"" + digits + "\" is not an integer");
      return std::nullopt;
    }
    return value;
  }

  std::int64_t integer(std::string_view column) {
    const std::size_t at = column_;
    auto value = optional_integer(column);
    if (!value && !error_ && at < row_.size()) {
      bad(column, "NULL");
    }
    return value.value_or(0);
  }

  std::uint32_t u32(std::string_view column) {
    const std::int64_t value = integer(column);
    if (value < 0 || value > std::numeric_limits<std::uint32_t>::max()) {
      bad(column, std::to_string(value) + " is out of range");
      return 0;
    }
    return static_cast<std::uint32_t>(value);
  }

  core::HostTime time(std::string_view column) {
    return core::HostTime(std::chrono::seconds(integer(column)));
  }

  std::optional<core::HostTime> optional_time(std::string_view column) {
    const std::optional<std::int64_t> seconds = optional_integer(column);
    return seconds ? std::optional<core::HostTime>(core::HostTime(std::chrono::seconds(*seconds)))
                   : std::nullopt;
  }

  template <class Enum>
  Enum decoded(std::string_view column, std::optional<Enum> (*decode)(std::string_view)) {
    const std::string value = text(column);
    const std::optional<Enum> out = decode(value);
    if (!out && !error_) {
      bad(column, "unknown value \"" + value + "\"");
    }
    return out.value_or(Enum{});
  }

  // The rows's key, for the message.
  void name(std::string key) { key_ = std::move(key); }

  Result<void> finish(const std::string& describe) const {
    if (error_) {
      return fail(Errc::corrupt, describe + ": " + std::string(table_) +
                                     (key_.empty() ? "" : " row \"" + key_ + "\"") + ": " +
                                     *error_);
    }
    return {};
  }

 private:
  const SqlCell* next(std::string_view column) {
    if (column_ >= row_.size()) {
      bad(column, "missing");
      return nullptr;
    }
    const SqlCell& cell = row_[column_++];
    if (!cell) {
      bad(column, "NULL");
      return nullptr;
    }
    return &cell;
  }

  void bad(std::string_view column, const std::string& why) {
    if (!error_) {
      error_ = "column " + std::string(column) + ": " + why;
    }
  }

  const SqlRow& row_;
  std::string_view table_;
  std::size_t column_ = 0;
  std::string key_;
  std::optional<std::string> error_;
};

}  // namespace mtasts::store
