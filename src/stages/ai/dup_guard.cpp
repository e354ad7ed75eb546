#include "stages/ai/dup_guard.hpp"

#include <algorithm>
#include <cctype>

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

bool groups_conflict(const std::vector<guard_value>& a, const std::vector<guard_value>& b) {
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

namespace {

// Two spellings of one word: one edit apart, or a long common prefix.
bool look_alike(std::string_view x, std::string_view y) {
  std::size_t p = 0;
  while (p < x.size() && p < y.size() && x[p] == y[p]) ++p;
  if (p >= 5) return true;
  if (x.size() > y.size()) std::swap(x, y);
  if (y.size() - x.size() > 1 || x.size() < 3) return false;
  std::size_t s = 0;
  while (s < x.size() && x[x.size() - 1 - s] == y[y.size() - 1 - s]) ++s;
  return p + s + 1 >= y.size();  // the rest is one substitution or insertion
}

}  // namespace

bool minimal_pair(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string_view> only_a, only_b;
  std::size_t shared = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) only_a.push_back(a[i++]);
    else if (i == a.size() || b[j] < a[i]) only_b.push_back(b[j++]);
    else ++shared, ++i, ++j;
  }
  // Typos are no difference.
  for (auto x = only_a.begin(); x != only_a.end();) {
    auto y = std::find_if(only_b.begin(), only_b.end(), [&](std::string_view t) { return look_alike(*x, t); });
    if (y == only_b.end()) {
      ++x;
      continue;
    }
    only_b.erase(y);
    x = only_a.erase(x);
    ++shared;
  }
  const std::size_t diff = only_a.size() + only_b.size();
  return !only_a.empty() && !only_b.empty() && only_a.size() <= 2 && only_b.size() <= 2 && shared >= 3 &&
         shared >= 2 * diff;
}


guard_signature signature(const analysis& a) {
  guard_signature s;
  const auto& lex = a.lex();
  for (const auto& t : a.tags()) {
    std::string_view name = lex.tag_name(t.tag);
    if (name.substr(0, 2) != "x.") continue;
    auto dot = name.find('.', 2);
    if (dot == std::string_view::npos) continue;
    s.groups.push_back(guard_value{h32(name.substr(2, dot - 2)), h32(name.substr(dot + 1))});
  }
  std::sort(s.groups.begin(), s.groups.end());
  s.groups.erase(std::unique(s.groups.begin(), s.groups.end()), s.groups.end());

  // Key terms: concepts for their spans, stems of other content words.
  const auto& toks = a.tokens();
  std::vector<char> covered(toks.size(), 0);
  for (const auto& c : a.concepts()) {
    for (std::size_t k = c.begin; k < c.end; ++k) covered[k] = 1;
    s.terms.emplace_back(1, '@');
    s.terms.back() += lex.concept_name(c.entry);
  }
  // A negation is one term, whichever word says it (one inside a concept,
  // "does not come through", belongs to the concept).
  bool negated = false;
  for (const auto& h : a.hits("negation")) {
    bool inside = true;
    for (std::size_t k = h.begin; k < h.end; ++k) inside = inside && covered[k];
    negated = negated || !inside;
    for (std::size_t k = h.begin; k < h.end; ++k) covered[k] = 1;
  }
  if (negated) s.terms.emplace_back("¬");
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    if (covered[i] || t.kind != tok_kind::word || t.text.size() < 2 || is_stopword(a.language(), t.text) ||
        std::isdigit(static_cast<unsigned char>(t.text[0])))
      continue;
    s.terms.emplace_back(stem(t.text, a.language()));
  }
  std::sort(s.terms.begin(), s.terms.end());
  s.terms.erase(std::unique(s.terms.begin(), s.terms.end()), s.terms.end());
  return s;
}

bool conflict(const guard_signature& a, const guard_signature& b) {
  return groups_conflict(a.groups, b.groups) || minimal_pair(a.terms, b.terms);
}

void append_signature(std::string& out, const guard_signature& s) {
  put32(out, static_cast<std::uint32_t>(s.groups.size()));
  for (const auto& g : s.groups) {
    put32(out, g.group);
    put32(out, g.value);
  }
  put32(out, static_cast<std::uint32_t>(s.terms.size()));
  for (const auto& t : s.terms) {
    out.push_back(static_cast<char>(std::min<std::size_t>(t.size(), 255)));
    out.append(t.substr(0, 255));
  }
}

bool read_signature(std::string_view in, std::size_t& pos, guard_signature& s) {
  std::uint32_t n = 0;
  if (!get32(in, pos, n) || n > 4096) return false;
  s.groups.resize(n);
  for (auto& g : s.groups)
    if (!get32(in, pos, g.group) || !get32(in, pos, g.value)) return false;
  if (!get32(in, pos, n) || n > 4096) return false;
  s.terms.resize(n);
  for (auto& t : s.terms) {
    if (pos >= in.size()) return false;
    std::size_t len = static_cast<unsigned char>(in[pos++]);
    if (pos + len > in.size()) return false;
    t.assign(in.substr(pos, len));
    pos += len;
  }
  return true;
}

}  // namespace pw::stages::ai
