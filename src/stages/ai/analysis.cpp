#include "stages/ai/analysis.hpp"

#include <array>
#include <mutex>
#include <string>

namespace pw::stages::ai {

namespace {

bool question_start(std::string_view w) {
  // Words that open a question (without a "?", "when I export..." is not one).
  static constexpr std::string_view starts[] = {
      "how", "why", "where", "is", "are", "does", "do", "can", "could", "will", "should", "como", "donde",
      "puedo", "hay", "wie", "wo", "warum", "welche", "gibt", "kann", "konnt", "ist", "what", "when", "which",
      "que", "cual", "cuanto", "cuando", "was", "wann"};
  for (auto s : starts)
    if (w == s) return true;
  return false;
}

// Words that open a request for information rather than a grievance ("why")
// or an ask ("can you", "could you").
bool information_start(std::string_view w) {
  static constexpr std::string_view starts[] = {"how", "what", "where", "which", "como", "donde", "que",
                                                "cual", "cuanto", "wie", "was", "wo", "welche"};
  for (auto s : starts)
    if (w == s) return true;
  return false;
}

}  // namespace

analysis::analysis(std::string_view text, const lexicons& lex) : lex_(&lex), tokens_(tokenize(text)) {
  language_ = detect_language(text, tokens_);
  resolved_doc d(tokens_, lex.vocab());
  lex.concepts().match(d, concepts_);
  for (const auto& s : concepts_) d.add(s.begin, s.end, lex.concept_sym(s.entry));
  std::vector<span> found;
  auto run = [&](const lexicon& l) {
    found.clear();
    l.patterns.match(d, found);
    for (const auto& s : found) {
      const auto& ref = l.refs[s.entry];
      const entry* e = &l.sections[ref.section]->entries[ref.entry];
      if (hits_.size() <= ref.section) hits_.resize(ref.section + 1);
      hits_[ref.section].push_back(hit{e, s.begin, s.end});
      for (const auto& t : e->tags) tags_.push_back(tag_hit{t.tag, t.weight, s.begin, s.end});
    }
  };
  run(lex.common());
  run(lex.of(language_));
  tag_sums_.assign(lex.tag_count(), 0.0f);
  for (const auto& t : tags_) tag_sums_[t.tag] += t.weight;
  bool first = true;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const auto& t = tokens_[i];
    if (t.kind == tok_kind::word) {
      ++word_count_;
      // "Can't log in" and "Do not ..." open statements.
      bool negated = i + 1 < tokens_.size() && tokens_[i + 1].text == "not";
      if (first && question_start(t.text) && !negated) question_ = true;
      if (first && information_start(t.text)) asks_information_ = true;
      first = false;
    }
    if (t.kind == tok_kind::punct && t.text == "?") question_ = true;
  }
}

const std::vector<hit>& analysis::hits(std::size_t section) const {
  static const std::vector<hit> none;
  return section < hits_.size() ? hits_[section] : none;
}

float analysis::prefix_sum(std::string_view prefix) const {
  float s = 0;
  for (const auto& t : tags_)
    if (lex_->tag_name(t.tag).substr(0, prefix.size()) == prefix) s += t.weight;
  return s;
}

std::shared_ptr<const analysis> analysis::of(std::string_view text) {
  struct slot {
    std::uint64_t hash = 0;
    std::string text;
    std::shared_ptr<const analysis> value;
  };
  static std::mutex mu;
  static std::array<slot, 64> ring;
  static std::size_t next = 0;
  const std::uint64_t h = hash64(text);
  {
    std::lock_guard lock(mu);
    for (const auto& s : ring)
      if (s.value && s.hash == h && s.text == text) return s.value;
  }
  auto a = std::make_shared<const analysis>(text);
  std::lock_guard lock(mu);
  auto& s = ring[next];
  next = (next + 1) % ring.size();
  s.hash = h;
  s.text = std::string(text);
  s.value = a;
  return a;
}

}  // namespace pw::stages::ai
