#include "core/kill_point.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace pw::core::kill_points {

namespace {

std::uint64_t splitmix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t fnv64(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

constexpr std::size_t count = std::size(names);

// Read once from the environment, then only read (and the pass counters
// counted): test instrumentation, the one process-wide state of a test build.
struct settings {
  bool armed[count] = {};
  double probability = 1.0;
  std::uint64_t seed = 0;
  std::atomic<std::uint64_t> passes[count] = {};

  settings() {
    const char* which = std::getenv("PW_KILL_POINT");
    if (!which || !*which) return;
    const std::string list(which);
    for (std::size_t i = 0; i < count; ++i) {
      if (list == "*") {
        armed[i] = true;
        continue;
      }
      std::size_t at = 0;
      while (at <= list.size()) {
        auto comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        if (std::string_view(list).substr(at, comma - at) == names[i]) armed[i] = true;
        at = comma + 1;
      }
    }
    if (const char* p = std::getenv("PW_KILL_PROBABILITY")) probability = std::strtod(p, nullptr);
    if (const char* s = std::getenv("PW_KILL_SEED")) seed = std::strtoull(s, nullptr, 10);
  }
};

settings& get() {
  static settings s;
  return s;
}

}  // namespace

void pass(std::string_view name) noexcept {
  auto& s = get();
  std::size_t i = 0;
  while (i < count && names[i] != name) ++i;
  if (i == count || !s.armed[i]) return;
  const auto n = s.passes[i].fetch_add(1, std::memory_order_relaxed) + 1;
  const double u = static_cast<double>(splitmix(s.seed ^ splitmix(fnv64(name) + n)) >> 11) * 0x1.0p-53;
  if (u >= s.probability) return;
  char line[160];
  const int len = std::snprintf(line, sizeof line, "event=kill_point.hit name=%.*s pass=%llu\n", static_cast<int>(name.size()),
                                name.data(), static_cast<unsigned long long>(n));
  if (len > 0) (void)!::write(2, line, static_cast<std::size_t>(len));
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached
}

}  // namespace pw::core::kill_points
