// Trains the duplicate pair scorer (src/stages/ai/pair_scorer.hpp): replays
// each training workspace in file order through the real embedder, takes
// every item's nearest earlier items as the index would (its candidates),
// labels a pair positive when both share a dup_group, and fits a logistic
// regression on the pair features; the decision threshold is the one with
// the best out-of-fold pair F1 (folds by batch).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "stages/ai/model_file.hpp"
#include "stages/ai/predict.hpp"

namespace pw::tools::train {

void train_pair_scorer(const std::vector<labelled>& items, const std::vector<stages::ai::predictions>& oof,
                       const std::map<std::string, std::size_t>& fold_of, std::size_t folds, stages::ai::model_file& out,
                       std::size_t candidates = 10);

}  // namespace pw::tools::train
