// One text read by the learned models: the lexicon analysis, the hashed
// features, every model's probabilities and the decisions taken from them.
// The stages of one item share it through a small cache, so the text is
// read once whichever stage asks first.
#pragma once

#include <memory>
#include <string_view>

#include "stages/ai/analysis.hpp"
#include "stages/ai/learned_features.hpp"
#include "stages/ai/model_file.hpp"
#include "stages/ai/predict.hpp"

namespace pw::stages::ai {

struct reading {
  std::shared_ptr<const analysis> text;
  sparse_vector features;
  predictions probabilities;
  decisions decided;

  reading(std::string_view t, const model_file& m);
  // The reading of `t` by `m`, from a cache of the most recent texts
  // (thread-safe).
  static std::shared_ptr<const reading> of(std::string_view t, const model_file& m);
};

}  // namespace pw::stages::ai
