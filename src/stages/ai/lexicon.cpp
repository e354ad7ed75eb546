#include "stages/ai/lexicon.hpp"

#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>

namespace pw::embedded_lex {
// Generated from config/lexicons/ by cmake/EmbedFiles.cmake.
std::string_view concepts_txt();
std::string_view common_txt();
std::string_view en_txt();
std::string_view es_txt();
std::string_view de_txt();
}  // namespace pw::embedded_lex

namespace pw::stages::ai {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_float(std::string_view s, float& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

[[noreturn]] void fail(std::string_view file, std::size_t line, const std::string& what) {
  throw std::invalid_argument("lexicon " + std::string(file) + ":" + std::to_string(line) + ": " + what);
}

template <class F>
void each_line(std::string_view text, F&& f) {
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (auto hash = l.find(" #"); hash != std::string_view::npos) l = l.substr(0, hash);
    l = trim(l);
    if (l.empty() || l.front() == '#') continue;
    f(line, l);
  }
}

// The pattern as the matcher sees it, to find entries that say the same.
std::string canonical(std::string_view pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    std::size_t j = pattern.find(' ', i);
    if (j == std::string_view::npos) j = pattern.size();
    std::string_view raw = pattern.substr(i, j - i);
    i = j + 1;
    if (raw.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    if (raw == "*" || raw[0] == '@' || raw.find('|') != std::string_view::npos || raw.back() == '*') {
      out += fold(raw);
    } else {
      bool first = true;
      for (auto& t : tokenize(raw)) {
        if (!first) out.push_back(' ');
        first = false;
        out += t.text;
      }
    }
  }
  return out;
}

}  // namespace

lexicons::lexicons(const std::map<std::string, std::string_view>& files) {
  tag_names_.emplace_back();  // tag 0: none
  tag_ids_.emplace("", 0);
  if (auto it = files.find("concepts.txt"); it != files.end()) parse_concepts(it->first, it->second);
  if (auto it = files.find("common.txt"); it != files.end()) parse(it->first, it->second, common_);
  for (lang l : all_langs) {
    std::string name = std::string(to_string(l)) + ".txt";
    if (auto it = files.find(name); it != files.end()) parse(it->first, it->second, langs_[static_cast<std::size_t>(l)]);
  }
}

const lexicons& lexicons::builtin() {
  static const lexicons lex({{"concepts.txt", embedded_lex::concepts_txt()},
                             {"common.txt", embedded_lex::common_txt()},
                             {"en.txt", embedded_lex::en_txt()},
                             {"es.txt", embedded_lex::es_txt()},
                             {"de.txt", embedded_lex::de_txt()}});
  return lex;
}

std::size_t lexicons::section_id(std::string_view name) const {
  auto it = section_ids_.find(name);
  return it == section_ids_.end() ? std::numeric_limits<std::size_t>::max() : it->second;
}

tag_id lexicons::tag(std::string_view name) const {
  auto it = tag_ids_.find(name);
  return it == tag_ids_.end() ? 0 : it->second;
}

tag_id lexicons::intern_tag(std::string_view name) {
  auto it = tag_ids_.find(name);
  if (it != tag_ids_.end()) return it->second;
  auto id = static_cast<tag_id>(tag_names_.size());
  tag_names_.emplace_back(name);
  tag_ids_.emplace(std::string(name), id);
  return id;
}

std::size_t lexicons::intern_section(std::string_view name) {
  auto it = section_ids_.find(name);
  if (it != section_ids_.end()) return it->second;
  std::size_t id = section_ids_.size();
  section_ids_.emplace(std::string(name), id);
  return id;
}

void lexicons::parse_concepts(std::string_view file, std::string_view text) {
  each_line(text, [&](std::size_t line, std::string_view l) {
    auto colon = l.find(':');
    if (l.front() != '@' || colon == std::string_view::npos) fail(file, line, "expected '@name: pattern | pattern'");
    std::string name(trim(l.substr(1, colon - 1)));
    sym s = vocab_.concept_of(name);
    std::string_view rest = l.substr(colon + 1);
    while (!rest.empty()) {
      auto bar = rest.find(" | ");
      std::string_view alt = trim(rest.substr(0, bar));
      rest.remove_prefix(bar == std::string_view::npos ? rest.size() : bar + 3);
      if (alt.empty()) continue;
      std::string err;
      auto entry_no = static_cast<std::uint32_t>(concept_syms_.size());
      if (!concepts_.add(alt, entry_no, vocab_, err)) fail(file, line, err + " in '" + std::string(alt) + "'");
      concept_syms_.push_back(s);
      concept_names_.push_back(name);
    }
  });
}

void lexicons::parse(std::string_view file, std::string_view text, lexicon& into) {
  section* cur = nullptr;
  std::uint32_t cur_id = 0;
  std::map<const section*, std::set<std::string>> seen;
  each_line(text, [&](std::size_t line, std::string_view l) {
    if (l.front() == '[') {
      if (l.back() != ']') fail(file, line, "expected '[section]'");
      std::size_t id = intern_section(trim(l.substr(1, l.size() - 2)));
      if (into.sections.size() <= id) into.sections.resize(id + 1);
      if (!into.sections[id]) into.sections[id] = std::make_unique<section>();
      cur = into.sections[id].get();
      cur_id = static_cast<std::uint32_t>(id);
      return;
    }
    if (!cur) fail(file, line, "an entry before any [section]");
    entry e;
    std::string_view pat = l, tags;
    if (auto arrow = l.find(" => "); arrow != std::string_view::npos) {
      pat = trim(l.substr(0, arrow));
      tags = trim(l.substr(arrow + 4));
    }
    if (auto eq = pat.rfind(" = "); eq != std::string_view::npos) {
      if (!parse_float(pat.substr(eq + 3), e.weight)) fail(file, line, "bad weight '" + std::string(pat.substr(eq + 3)) + "'");
      pat = trim(pat.substr(0, eq));
    }
    while (!tags.empty()) {
      auto sp = tags.find(' ');
      std::string_view t = tags.substr(0, sp);
      tags.remove_prefix(sp == std::string_view::npos ? tags.size() : sp + 1);
      tags = trim(tags);
      float w = 1.0f;
      if (auto c = t.find(':'); c != std::string_view::npos) {
        if (!parse_float(t.substr(c + 1), w)) fail(file, line, "bad tag weight in '" + std::string(t) + "'");
        t = t.substr(0, c);
      }
      e.tags.push_back(tag_weight{intern_tag(t), w});
    }
    if (!seen[cur].insert(canonical(pat)).second)
      fail(file, line, "'" + std::string(pat) + "' is already in this section");
    std::string err;
    if (!into.patterns.add(pat, static_cast<std::uint32_t>(into.refs.size()), vocab_, err))
      fail(file, line, err + " in '" + std::string(pat) + "'");
    into.refs.push_back(lexicon::ref{cur_id, static_cast<std::uint32_t>(cur->entries.size())});
    e.pattern = std::string(pat);
    cur->entries.push_back(std::move(e));
  });
}

}  // namespace pw::stages::ai
