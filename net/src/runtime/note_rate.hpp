#pragma once

// How often a server writes the line for a client fault that can repeat thousands of times a
// second (a slow client cut by its deadline, garbage on the wire, a connection evicted): the
// first at once, then at most one line per period, each with how many happened since the line
// before. The counters count every one; the log shows each kind of fault without drowning.

#include <chrono>
#include <cstddef>
#include <utility>

namespace mtasts::net::detail {

class NoteRate {
 public:
  using Clock = std::chrono::steady_clock;

  explicit NoteRate(Clock::duration period) : period_(period) {}

  // Counts one fault at `now`. The number to write in a line now (this one and those since the
  // last line), or 0 while the last line is more recent than the period.
  std::size_t count(Clock::time_point now) {
    ++pending_;
    if (written_ && now < last_ + period_) {
      return 0;
    }
    written_ = true;
    last_ = now;
    return std::exchange(pending_, 0);
  }

 private:
  Clock::duration period_;
  Clock::time_point last_{};
  bool written_ = false;
  std::size_t pending_ = 0;
};

inline constexpr std::chrono::seconds kNotePeriod{10};

}  // namespace mtasts::net::detail
