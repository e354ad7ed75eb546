// Priority: a score 0..100 and a bucket P1 (>= 70) / P2 (>= 40) / P3.
//
//   score = clamp(U + S + C + D, 0, 100), rounded
//   U  urgency: critical 72, high 50, medium 28, low 8, plus
//      20 * (urgency score - the level's floor), capped at +6
//   S  sentiment: negative adds 8 * |score|; neutral and positive add 0
//   C  category: bug 6, billing 6, complaint 4, feature_request 2,
//      question 1, praise 0
//   D  duplicates (other items already in the group): 4 * log2(1 + n),
//      capped at 14
// So critical is always P1; high becomes P1 with a negative author plus a
// defect or several duplicates; low stays P3 (at most 8+6+8+6+14 = 42 only
// with ~12 duplicates, negative and a bug: then P2).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pw::stages::ai {

struct priority_input {
  std::string_view urgency = "low";  // low | medium | high | critical
  double urgency_score = 0;
  std::string_view sentiment = "neutral";
  double sentiment_score = 0;
  std::string_view category;  // "" when unknown
  std::size_t duplicates = 0;
};

struct priority_result {
  int score = 0;
  std::string_view bucket = "P3";
};

priority_result priority(const priority_input& in);

}  // namespace pw::stages::ai
