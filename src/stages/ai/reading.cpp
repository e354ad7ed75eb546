#include "stages/ai/reading.hpp"

#include <array>
#include <mutex>
#include <string>

namespace pw::stages::ai {

reading::reading(std::string_view t, const model_file& m)
    : text(analysis::of(t)), features(text_features(*text)), probabilities(predict(m, features)),
      decided(decide(m, probabilities)) {}

std::shared_ptr<const reading> reading::of(std::string_view t, const model_file& m) {
  struct slot {
    std::uint64_t hash = 0;
    const model_file* model = nullptr;
    std::string text;
    std::shared_ptr<const reading> value;
  };
  static std::mutex mu;
  static std::array<slot, 64> ring;
  static std::size_t next = 0;
  const std::uint64_t h = hash64(t);
  {
    std::lock_guard lock(mu);
    for (const auto& s : ring)
      if (s.value && s.hash == h && s.model == &m && s.text == t) return s.value;
  }
  auto r = std::make_shared<const reading>(t, m);
  std::lock_guard lock(mu);
  auto& s = ring[next];
  next = (next + 1) % ring.size();
  s.hash = h;
  s.model = &m;
  s.text = std::string(t);
  s.value = r;
  return r;
}

}  // namespace pw::stages::ai
