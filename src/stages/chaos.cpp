#include "stages/chaos.hpp"

#include <algorithm>
#include <cmath>

namespace pw::stages {

namespace {

std::uint64_t splitmix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t fnv64(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

double unit(std::uint64_t x) noexcept { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

chaos_decision decide_chaos(const core::chaos_spec& spec, std::string_view item_id, std::string_view stage,
                            std::uint32_t attempt) noexcept {
  std::uint64_t h = splitmix(spec.seed ^ splitmix(fnv64(item_id) ^ splitmix(fnv64(stage) + attempt)));
  const double u_effect = unit(h);
  const double u_latency = unit(splitmix(h));
  chaos_decision d;
  const auto& l = spec.latency;
  switch (l.distribution) {
    case core::latency_distribution::none: break;
    case core::latency_distribution::fixed: d.latency = l.min; break;
    case core::latency_distribution::uniform:
      d.latency = core::millis{l.min.count() +
                               static_cast<std::int64_t>(u_latency * static_cast<double>(l.max.count() - l.min.count() + 1))};
      d.latency = std::min(d.latency, l.max);
      break;
    case core::latency_distribution::exponential: {
      double ms = -static_cast<double>(l.mean.count()) * std::log(1.0 - u_latency);
      if (l.max.count() > 0) ms = std::min(ms, static_cast<double>(l.max.count()));
      d.latency = core::millis{static_cast<std::int64_t>(ms)};
      break;
    }
  }
  if (attempt <= spec.fail_first) {
    d.effect = spec.fail_first_effect;
    return d;
  }
  double edge = spec.transient_rate;
  if (u_effect < edge) d.effect = core::chaos_effect::transient;
  else if (u_effect < (edge += spec.permanent_rate)) d.effect = core::chaos_effect::permanent;
  else if (u_effect < (edge += spec.throw_rate)) d.effect = core::chaos_effect::throw_error;
  else if (u_effect < (edge += spec.hang_rate)) d.effect = core::chaos_effect::hang;
  return d;
}

}  // namespace pw::stages
