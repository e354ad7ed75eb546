// liblinear (L2-regularised logistic regression, solver 0: a deterministic
// trust-region Newton method) over the hashed text features, and the float
// predictor the tool's cross-validation uses.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "stages/ai/learned_features.hpp"

#include <linear.h>

namespace pw::tools::train {

// The training matrix: the slots seen in at least `min_df` training texts
// become rows (the model file stores only those).
struct design {
  std::vector<std::uint32_t> slots;                   // row -> slot, sorted
  std::unordered_map<std::uint32_t, std::uint32_t> row;  // slot -> row
  std::vector<std::vector<feature_node>> x;           // per text: rows (1-based), bias, terminator
};
design make_design(const std::vector<stages::ai::sparse_vector>& texts, std::size_t min_df);

struct fitted {
  std::vector<std::string> classes;
  std::vector<float> weights;  // rows * classes
  std::vector<float> bias;
};

// Fits one-vs-rest logistic regression on the texts `use` with labels
// y[i] (an index into `classes`; each class needs at least one text).
fitted fit(const design& d, const std::vector<std::size_t>& use, const std::vector<int>& y,
           const std::vector<std::string>& classes, double C);

// Probabilities as the model file computes them (normalised logistics).
std::vector<float> probabilities(const fitted& f, const design& d, std::size_t text);

}  // namespace pw::tools::train
