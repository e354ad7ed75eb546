// What the learned models say about one text, and the decisions taken from
// it (the same function for the stages and the training tool).
//
// Each argmax adds the file's per-class offsets ("<model>.offset.<class>",
// log-odds chosen by the training tool on out-of-fold predictions).
//   sentiment  argmax of the three probabilities; score = P(positive) - P(negative)
//   category   argmax; confidence = its probability
//   urgency    critical when P(critical) >= the file's `urgency.critical_threshold`
//              (chosen by the training tool for critical recall, see
//              docs/ai-quality.md), else the likeliest of the other three;
//              score inside the level's band (low < 0.3 <= medium < 0.6 <=
//              high < 0.85 <= critical) by the level's probability
//   theme      the likeliest known theme when its probability reaches
//              `theme.accept` and it is not "~other" (the long tail); else
//              empty, and the theme stage falls back to keywords and clusters
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/learned_features.hpp"
#include "stages/ai/model_file.hpp"

namespace pw::stages::ai {

struct predictions {
  std::vector<float> sentiment, category, urgency, theme;  // probabilities, in each model's class order
};

struct decisions {
  std::string_view sentiment;  // "" when the file has no sentiment model
  double sentiment_score = 0;
  std::string_view category;
  double category_confidence = 0;
  std::string_view urgency;
  double urgency_score = 0;
  std::string_view theme;  // "" when no confident known theme
  double theme_probability = 0;
};

predictions predict(const model_file& m, const sparse_vector& x);
decisions decide(const model_file& m, const predictions& p);

// The likeliest two known themes (not "~other") as embedding terms, each
// weighed by `weight` times its probability (embed.hpp).
std::vector<std::pair<std::string, float>> theme_terms(const model_file& m, const predictions& p, float weight = 3.0f);

// The probabilities as one vector (category, urgency, sentiment, theme), the
// language-independent part of a text's duplicate profile.
std::vector<float> semantic_vector(const predictions& p);

}  // namespace pw::stages::ai
