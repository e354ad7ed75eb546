// The duplicate pair scorer: given a new item and one candidate the index
// returned (its nearest earlier items by embedding), how likely a triager
// would merge them. A logistic regression over pair features, trained by
// tools/ai_train on the corpus's duplicate groups and near-miss traps; its
// weights and decision threshold are parameters of the model file
// ("pair.w.<feature>", "pair.bias", "pair.threshold").
//
// Each item keeps a profile (persisted with its vector): the guard
// signature (x.* alternatives such as import/export or iOS/Android, and key
// terms: concepts, stems, a negation), its language, word count, the
// numbers it names, and the learned models' probabilities (category,
// urgency, sentiment, theme): the language-independent part, so a Spanish
// and an English report of one problem meet.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/dup_guard.hpp"
#include "stages/ai/model_file.hpp"
#include "stages/ai/predict.hpp"

namespace pw::stages::ai {

struct pair_profile {
  guard_signature guard;
  lang language = lang::en;
  std::uint16_t words = 0;
  std::vector<std::uint32_t> numbers;  // hashes of digit tokens, sorted, unique
  std::vector<std::uint8_t> semantic;  // probabilities * 255: category(6), urgency(4), sentiment(3), theme(...)
};

pair_profile make_profile(const analysis& a, const predictions& p);
void append_profile(std::string& out, const pair_profile& p);
bool read_profile(std::string_view in, std::size_t& pos, pair_profile& p);

inline constexpr std::array<std::string_view, 20> pair_feature_names{
    "cosine",        "gap_to_best",   "rank",          "semantic_cos",  "theme_cos",
    "same_theme",    "same_category", "same_urgency",  "sentiment_gap", "concepts_jaccard",
    "terms_jaccard", "shared_terms",  "guard_conflict", "minimal_pair", "numbers_shared",
    "numbers_differ", "same_language", "cosine_same_language", "theme_cos_cross_language", "length_ratio"};

// The features of (new item `a`, candidate `b`): `cosine` of their
// embeddings, `best` the highest cosine among the candidates, `rank` the
// candidate's place by cosine (0 = nearest).
std::array<float, pair_feature_names.size()> pair_features(const pair_profile& a, const pair_profile& b, float cosine,
                                                           float best, std::size_t rank);

class pair_scorer {
 public:
  pair_scorer() = default;
  // The scorer of a model file; disabled when the file has no pair weights.
  static pair_scorer from(const model_file& f);
  bool enabled() const { return enabled_; }
  float threshold() const { return threshold_; }
  // P(duplicate) in [0, 1].
  float score(const std::array<float, pair_feature_names.size()>& x) const;

  // For the training tool.
  static void store(model_file& f, const std::vector<float>& weights, float bias, float threshold);

 private:
  bool enabled_ = false;
  std::array<float, pair_feature_names.size()> w_{};
  float bias_ = 0, threshold_ = 0.5f;
};

}  // namespace pw::stages::ai
