#include "net/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace pw::net {

rate_limiter::rate_limiter(double per_second, double burst) : rate_(per_second), burst_(std::max(1.0, burst)) {}

std::optional<int> rate_limiter::admit(const std::string& user) { return take(user, true); }
std::optional<int> rate_limiter::peek(const std::string& user) { return take(user, false); }

std::optional<int> rate_limiter::take(const std::string& user, bool consume) {
  if (rate_ <= 0) return std::nullopt;  // unlimited
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(user, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    if (consume) b.tokens -= 1.0;
    return std::nullopt;
  }
  if (buckets_.size() > 100000) buckets_.clear();  // bounded memory; everyone starts full again
  return static_cast<int>(std::ceil((1.0 - b.tokens) / rate_));
}

}  // namespace pw::net
