// The features the learned models read from one text: a sparse vector over
// 2^feature_bits hashed slots, L2-normalised. The training tool
// (tools/ai_train) and the stages call the same function, so a model sees at
// run time exactly what it was trained on.
//
// Groups (each a hashed name; the value is 1 + ln(count) unless said):
//   w  Snowball stems of words (en/es/de by the detected language)
//   n  stems in a negation's scope (up to 3 words after a negator, same clause)
//   k  stems after a contrast word ("but", "pero", "aber") in its sentence
//   b  stem bigrams within a sentence
//   g  character 4-grams of words of 4+ letters (typos, inflections, and
//      cognates across languages: "export", "exportar", "exportieren")
//   c  lexicon concepts (language-independent: @login, @refund, ...)
//   t  lexicon tags (impact cues crit.* / high.* / med.*, bill, defect,
//      request, grievance, x.* alternatives, theme.*), value = tag weight
//   r  today's rule-based decisions (sentiment, urgency, category) as
//      indicators: the rules stay where they help, the model weighs them
//   s  shape: language, length and sentence buckets, '?' and '!', ALL CAPS,
//      emoji, currency, digits, an information question's opener
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

inline constexpr unsigned feature_bits = 20;
inline constexpr std::uint32_t feature_slots = 1u << feature_bits;

struct sparse_vector {
  std::vector<std::pair<std::uint32_t, float>> entries;  // (slot, value), sorted by slot, unique
};

sparse_vector text_features(const analysis& a);

}  // namespace pw::stages::ai
