#include "stages/ai/snowball.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <libstemmer.h>

namespace pw::stages::ai {

namespace {

struct stemmer_deleter {
  void operator()(sb_stemmer* s) const noexcept { sb_stemmer_delete(s); }
};
using stemmer_ptr = std::unique_ptr<sb_stemmer, stemmer_deleter>;

sb_stemmer* stemmer_for(lang l) {
  thread_local std::array<stemmer_ptr, 3> stemmers;
  auto& s = stemmers[static_cast<std::size_t>(l)];
  if (!s) {
    static constexpr const char* names[] = {"english", "spanish", "german"};
    s.reset(sb_stemmer_new(names[static_cast<std::size_t>(l)], "UTF_8"));
    if (!s) throw std::runtime_error("libstemmer has no stemmer for this language");
  }
  return s.get();
}

}  // namespace

std::string snowball(std::string_view w, lang l) {
  if (w.size() < 3) return std::string(w);
  // Words repeat from text to text: a per-thread memo of recent stems
  // (emptied when it grows past 64k words) saves most stemmer calls.
  thread_local std::array<std::unordered_map<std::string, std::string>, 3> memo;
  auto& m = memo[static_cast<std::size_t>(l)];
  if (auto it = m.find(std::string(w)); it != m.end()) return it->second;
  if (m.size() >= 65536) m.clear();
  sb_stemmer* s = stemmer_for(l);
  const sb_symbol* out = sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
  if (!out) return std::string(w);  // out of memory in libstemmer: the word itself still matches
  std::string stem(reinterpret_cast<const char*>(out), static_cast<std::size_t>(sb_stemmer_length(s)));
  m.emplace(std::string(w), stem);
  return stem;
}

}  // namespace pw::stages::ai
