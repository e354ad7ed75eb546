#include "stages/ai/dup_guard.hpp"

#include <algorithm>

namespace pw::stages::ai {

namespace {

std::uint32_t h32(std::string_view s) {
  std::uint64_t h = hash64(s);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

void put32(std::string& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

bool get32(std::string_view in, std::size_t& pos, std::uint32_t& v) {
  if (pos + 4 > in.size()) return false;
  v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + k])) << (8 * k);
  pos += 4;
  return true;
}

}  // namespace

guard_signature signature(const analysis& a) {
  guard_signature s;
  for (const auto& t : a.tags()) {
    std::string_view name = a.lex().tag_name(t.tag);
    if (name.substr(0, 2) != "x.") continue;
    auto dot = name.find('.', 2);
    if (dot == std::string_view::npos) continue;
    s.push_back(guard_value{h32(name.substr(2, dot - 2)), h32(name.substr(dot + 1))});
  }
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

bool conflict(const guard_signature& a, const guard_signature& b) {
  // Both sorted by group: walk the groups both have.
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].group < b[j].group) {
      ++i;
      continue;
    }
    if (b[j].group < a[i].group) {
      ++j;
      continue;
    }
    const std::uint32_t g = a[i].group;
    std::size_t ie = i, je = j;
    while (ie < a.size() && a[ie].group == g) ++ie;
    while (je < b.size() && b[je].group == g) ++je;
    bool shared = false;
    for (std::size_t x = i; x < ie && !shared; ++x)
      for (std::size_t y = j; y < je; ++y)
        if (a[x].value == b[y].value) {
          shared = true;
          break;
        }
    if (!shared) return true;
    i = ie;
    j = je;
  }
  return false;
}

void append_signature(std::string& out, const guard_signature& s) {
  put32(out, static_cast<std::uint32_t>(s.size()));
  for (const auto& g : s) {
    put32(out, g.group);
    put32(out, g.value);
  }
}

bool read_signature(std::string_view in, std::size_t& pos, guard_signature& s) {
  std::uint32_t n = 0;
  if (!get32(in, pos, n) || n > 4096) return false;
  s.resize(n);
  for (auto& g : s)
    if (!get32(in, pos, g.group) || !get32(in, pos, g.value)) return false;
  return true;
}

}  // namespace pw::stages::ai
