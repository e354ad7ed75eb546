// One text read against the lexicons: tokens, language, concept spans, and
// every section's matches with their tags. The stages (sentiment, urgency,
// classify, theme, the duplicate guard) decide from this.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "stages/ai/lexicon.hpp"
#include "stages/ai/text.hpp"

namespace pw::stages::ai {

struct hit {
  const entry* e;
  std::uint16_t begin, end;  // token positions [begin, end)
};

struct tag_hit {
  tag_id tag;
  float weight;
  std::uint16_t begin, end;
};

class analysis {
 public:
  explicit analysis(std::string_view text, const lexicons& lex = lexicons::builtin());

  // The analysis of `text`, shared by the stages of one item: a small cache
  // of the most recent texts (thread-safe), so five stages read it once.
  static std::shared_ptr<const analysis> of(std::string_view text);

  const lexicons& lex() const { return *lex_; }
  const std::vector<token>& tokens() const { return tokens_; }
  lang language() const { return language_; }
  // Concept name entries (lexicons::concept_name) with their spans.
  const std::vector<span>& concepts() const { return concepts_; }
  // Matches of a section (by lexicons::section_id) in common + language files.
  const std::vector<hit>& hits(std::size_t section) const;
  const std::vector<hit>& hits(std::string_view section) const { return hits(lex_->section_id(section)); }
  // Every tag of every match.
  const std::vector<tag_hit>& tags() const { return tags_; }
  float tag_sum(tag_id t) const { return t < tag_sums_.size() ? tag_sums_[t] : 0.0f; }
  float tag_sum(std::string_view name) const { return tag_sum(lex_->tag(name)); }
  bool has(std::string_view name) const { return tag_sum(name) != 0.0f; }
  // Sum of the tags whose name starts with `prefix`.
  float prefix_sum(std::string_view prefix) const;

  std::size_t words() const { return word_count_; }
  bool is_question() const { return question_; }  // has a '?' or starts like a question
  bool asks_information() const { return asks_information_; }  // opens with how/what/where/wie/cómo...
  std::size_t sentences() const { return tokens_.empty() ? 0 : tokens_.back().sentence + 1u; }

 private:
  const lexicons* lex_;
  std::vector<token> tokens_;
  lang language_ = lang::en;
  std::vector<span> concepts_;
  std::vector<std::vector<hit>> hits_;
  std::vector<tag_hit> tags_;
  std::vector<float> tag_sums_;
  std::size_t word_count_ = 0;
  bool question_ = false;
  bool asks_information_ = false;
};

}  // namespace pw::stages::ai
