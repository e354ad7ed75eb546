#include "core/metrics_window.hpp"

namespace pw::core::metrics {

histogram_window::histogram_window(const histogram& h, std::chrono::seconds span, steady_time now)
    : h_(h), span_(span) {
  // The zero point: "since start" until a full span has passed.
  histogram_snapshot zero;
  zero.bounds = h.bounds();
  zero.counts.assign(zero.bounds.size() + 1, 0);
  ring_.emplace_back(now, std::move(zero));
}

void histogram_window::tick(steady_time now) {
  std::lock_guard lock(mu_);
  if (!ring_.empty() && now - ring_.back().first < span_ / 12) return;
  ring_.emplace_back(now, h_.snapshot());
  // Keep the newest snapshot at least `span` old, and everything after it.
  while (ring_.size() > 2 && now - ring_[1].first >= span_) ring_.pop_front();
}

histogram_snapshot histogram_window::recent(steady_time now) const {
  auto current = h_.snapshot();
  std::lock_guard lock(mu_);
  const histogram_snapshot* base = &ring_.front().second;
  for (const auto& [t, s] : ring_) {
    if (now - t < span_) break;
    base = &s;
  }
  return current.minus(*base);
}

std::int64_t windowed_max::epoch_of(steady_time t) noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() / 10;
}

void windowed_max::observe(std::uint64_t v, steady_time now) noexcept {
  const auto e = epoch_of(now);
  auto& s = slots_[e & 1];
  auto seen = s.epoch.load(std::memory_order_relaxed);
  if (seen != e && s.epoch.compare_exchange_strong(seen, e, std::memory_order_relaxed)) s.max.store(0, std::memory_order_relaxed);
  auto cur = s.max.load(std::memory_order_relaxed);
  while (v > cur && !s.max.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

std::uint64_t windowed_max::value(steady_time now) const noexcept {
  const auto e = epoch_of(now);
  std::uint64_t out = 0;
  for (const auto& s : slots_) {
    const auto se = s.epoch.load(std::memory_order_relaxed);
    if (se == e || se == e - 1) out = std::max(out, s.max.load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace pw::core::metrics
