// Recent views of cumulative metrics, for the admin JSON and the dashboard:
// a histogram over roughly the last minute (cumulative snapshots taken every
// few seconds, subtracted), and the largest value seen in the last 10-20 s.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

#include "core/metrics.hpp"

namespace pw::core::metrics {

using steady_time = std::chrono::steady_clock::time_point;

class histogram_window {
 public:
  histogram_window(const histogram& h, std::chrono::seconds span, steady_time now);
  // Keeps a snapshot when at least span/12 passed since the last one.
  void tick(steady_time now);
  // What was observed in about the last `span` (less while the node is
  // younger than that: everything since it started).
  histogram_snapshot recent(steady_time now) const;
  std::chrono::seconds span() const noexcept { return span_; }

 private:
  const histogram& h_;
  std::chrono::seconds span_;
  mutable std::mutex mu_;
  std::deque<std::pair<steady_time, histogram_snapshot>> ring_;
};

// The largest value observed in the current and the previous 10-second
// window. Lock-free; a value racing with a window change may be lost.
class windowed_max {
 public:
  void observe(std::uint64_t v, steady_time now) noexcept;
  std::uint64_t value(steady_time now) const noexcept;

 private:
  static std::int64_t epoch_of(steady_time t) noexcept;
  struct slot {
    std::atomic<std::int64_t> epoch{-1};
    std::atomic<std::uint64_t> max{0};
  };
  slot slots_[2];
};

}  // namespace pw::core::metrics
