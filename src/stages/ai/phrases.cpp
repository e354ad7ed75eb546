#include "stages/ai/phrases.hpp"

#include <algorithm>

namespace pw::stages::ai {

namespace {
constexpr std::size_t max_gap = 4;
}

sym vocabulary::intern(std::string key) {
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  sym s = static_cast<sym>(names_.size());
  names_.push_back(key);
  ids_.emplace(std::move(key), s);
  return s;
}

namespace {
std::string key_of(char kind, std::string_view s) {
  std::string k(1, kind);
  if (kind != '@') k.push_back(':');
  k.append(s);
  return k;
}
}  // namespace

sym vocabulary::word(std::string_view w) { return intern(key_of('w', w)); }

sym vocabulary::prefix(std::string_view p) {
  sym s = intern(key_of('p', p));
  std::uint32_t node = 0;
  for (char c : p) {
    std::uint32_t k = trie_[node].child;
    while (k && trie_[k].c != c) k = trie_[k].sibling;
    if (!k) {
      k = static_cast<std::uint32_t>(trie_.size());
      trie_node n;
      n.c = c;
      n.sibling = trie_[node].child;
      trie_.push_back(n);
      trie_[node].child = k;
    }
    node = k;
  }
  trie_[node].symbol = s;
  return s;
}

sym vocabulary::concept_of(std::string_view name) { return intern(key_of('@', name)); }

void vocabulary::resolve(std::string_view w, std::vector<sym>& out) const {
  thread_local std::string key;
  key.assign("w:", 2);
  key.append(w);
  if (auto it = ids_.find(key); it != ids_.end()) out.push_back(it->second);
  std::uint32_t node = 0;
  for (char c : w) {
    std::uint32_t k = trie_[node].child;
    while (k && trie_[k].c != c) k = trie_[k].sibling;
    if (!k) break;
    node = k;
    if (trie_[node].symbol >= 0) out.push_back(static_cast<sym>(trie_[node].symbol));
  }
}

resolved_doc::resolved_doc(const std::vector<token>& tokens, const vocabulary& v)
    : tokens_(tokens), start_(tokens.size(), npos) {
  std::vector<sym> scratch;
  syms_.reserve(tokens.size() * 2);
  ends_.reserve(tokens.size() * 2);
  next_.reserve(tokens.size() * 2);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    scratch.clear();
    v.resolve(tokens[i].text, scratch);
    for (sym s : scratch) add(i, i + 1, s);
  }
}

void resolved_doc::add(std::size_t begin, std::size_t end, sym s) {
  syms_.push_back(s);
  ends_.push_back(static_cast<std::uint16_t>(end));
  next_.push_back(start_[begin]);
  start_[begin] = static_cast<std::uint32_t>(syms_.size() - 1);
}

bool resolved_doc::boundary(std::size_t i) const {
  const auto& t = tokens_[i];
  return t.kind == tok_kind::punct &&
         (t.text == "." || t.text == "!" || t.text == "?" || t.text == ";" || t.text == "...");
}

bool phrase_set::add(std::string_view text, std::uint32_t entry, vocabulary& v, std::string& error) {
  pattern p;
  p.entry = entry;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j == i) break;
    std::string_view raw = text.substr(i, j - i);
    i = j;
    if (raw == "*") {
      if (p.elems.empty()) {
        error = "a pattern cannot start with a gap";
        return false;
      }
      p.elems.push_back(elem{elem::gap, {}});
    } else if (raw[0] == '@' && raw.size() > 1) {
      p.elems.push_back(elem{elem::symbol, {v.concept_of(raw.substr(1))}});
    } else if (raw.find('|') != std::string_view::npos) {
      elem e{elem::alt, {}};
      std::size_t a = 0;
      while (a <= raw.size()) {
        std::size_t b = raw.find('|', a);
        if (b == std::string_view::npos) b = raw.size();
        std::string_view alt = raw.substr(a, b - a);
        a = b + 1;
        if (alt.empty()) continue;
        bool pre = alt.size() > 1 && alt.back() == '*';
        if (pre) alt.remove_suffix(1);
        auto ws = words(alt);
        if (ws.size() != 1) {
          error = "an alternative must be a single word: '" + std::string(alt) + "'";
          return false;
        }
        e.syms.push_back(pre ? v.prefix(ws[0]) : v.word(ws[0]));
      }
      p.elems.push_back(std::move(e));
    } else if (raw.size() > 1 && raw.back() == '*') {
      auto ws = words(raw.substr(0, raw.size() - 1));
      if (ws.size() != 1) {
        error = "a prefix must be a single word: '" + std::string(raw) + "'";
        return false;
      }
      p.elems.push_back(elem{elem::symbol, {v.prefix(ws[0])}});
    } else {
      for (auto& t : tokenize(raw)) p.elems.push_back(elem{elem::symbol, {v.word(t.text)}});
    }
  }
  if (p.elems.empty()) {
    error = "empty pattern";
    return false;
  }
  if (p.elems.back().kind == elem::gap) {
    error = "a pattern cannot end with a gap";
    return false;
  }
  auto idx = static_cast<std::uint32_t>(patterns_.size());
  for (sym s : p.elems.front().syms) {
    if (by_first_.size() <= s) by_first_.resize(s + 1);
    by_first_[s].push_back(idx);
  }
  patterns_.push_back(std::move(p));
  return true;
}

bool phrase_set::match_from(const resolved_doc& d, const pattern& p, std::size_t e, std::size_t pos,
                            std::size_t& end) const {
  if (e == p.elems.size()) {
    end = pos;
    return true;
  }
  const elem& el = p.elems[e];
  if (el.kind == elem::gap) {
    for (std::size_t skip = 0; skip <= max_gap && pos + skip < d.size(); ++skip) {
      if (skip > 0 && d.boundary(pos + skip - 1)) break;
      if (match_from(d, p, e + 1, pos + skip, end)) return true;
    }
    return false;
  }
  if (pos >= d.size()) return false;
  bool found = false;
  d.each(pos, [&](sym s, std::uint16_t stop) {
    if (found) return;
    if (std::find(el.syms.begin(), el.syms.end(), s) == el.syms.end()) return;
    if (match_from(d, p, e + 1, stop, end)) found = true;
  });
  return found;
}

void phrase_set::match(const resolved_doc& d, std::vector<span>& out) const {
  if (patterns_.empty()) return;
  std::vector<std::uint32_t> tried;
  for (std::size_t pos = 0; pos < d.size(); ++pos) {
    tried.clear();
    d.each(pos, [&](sym s, std::uint16_t) {
      if (s >= by_first_.size()) return;
      for (std::uint32_t idx : by_first_[s]) {
        if (std::find(tried.begin(), tried.end(), idx) != tried.end()) continue;
        tried.push_back(idx);
        std::size_t end = 0;
        if (match_from(d, patterns_[idx], 0, pos, end))
          out.push_back(span{patterns_[idx].entry, static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(end)});
      }
    });
  }
}

}  // namespace pw::stages::ai
