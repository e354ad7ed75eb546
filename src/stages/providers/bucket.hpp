// A token bucket on an explicit clock (so tests drive time): `rate` tokens
// a second up to `capacity`. take() may run the level below zero (a call
// whose token estimate exceeds a second's worth still goes, and the bucket
// pays it back before the next); a take waits while the level is at or
// below `floor`.
#pragma once

#include <algorithm>
#include <chrono>

namespace pw::stages::providers {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // rate <= 0: unlimited.
  token_bucket(double rate_per_s, double capacity, clock::time_point now)
      : rate_(rate_per_s), capacity_(std::max(capacity, 1.0)), level_(capacity_), at_(now) {}

  bool unlimited() const noexcept { return rate_ <= 0; }

  // How long until a take of `floor_plus` can go (0: now).
  clock::duration wait(double need, clock::time_point now) {
    if (unlimited()) return clock::duration::zero();
    refill(now);
    if (level_ >= need) return clock::duration::zero();
    const double seconds = (need - level_) / rate_;
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds)) + std::chrono::microseconds(1);
  }

  void take(double n, clock::time_point now) {
    if (unlimited()) return;
    refill(now);
    level_ -= n;
  }

  // Gives back (n > 0) or charges more (n < 0) once the real cost is known.
  void adjust(double n, clock::time_point now) {
    if (unlimited()) return;
    refill(now);
    level_ = std::min(capacity_, level_ + n);
  }

  double level(clock::time_point now) {
    refill(now);
    return level_;
  }

 private:
  void refill(clock::time_point now) {
    if (now <= at_) return;
    level_ = std::min(capacity_, level_ + rate_ * std::chrono::duration<double>(now - at_).count());
    at_ = now;
  }

  double rate_, capacity_, level_;
  clock::time_point at_;
};

}  // namespace pw::stages::providers
