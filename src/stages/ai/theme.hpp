// Themes: a readable topic per item, with ids that stay stable per workspace.
//
// 0. Learned themes: when the theme model of the model file names a known
//    theme with confidence (predict.hpp), that label is the theme; its id is
//    the label's slug, as for keyword themes.
// 1. Keyword themes: lexicon tags `theme.<label>` (theme.login, theme.dark_mode,
//    ...; common.txt maps concepts to them) pick the label; the id is the
//    label's slug ("dark-mode").
//    A label's items split into sub-themes by meaning: an item joins the
//    label's theme whose centroid is nearest when the cosine reaches
//    `split_threshold`, else it founds "<slug>-<n>" with the same label
//    ("login" and "login-2": a code that never arrives, a logout loop).
// 2. A text with no topical word at all ("love it", "meh") goes to the one
//    "general" theme.
// 3. Otherwise online clustering: the nearest theme centroid of the
//    workspace with cosine >= threshold takes the item; else a new theme
//    ("c<n>") is founded, labelled by the item's top content words.
// Every theme keeps a running centroid; each change is one state value
// ("t/<workspace>/<id>": count, label, centroid), restore() reloads them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

struct theme_options {
  double threshold = 0.5;
  double split_threshold = 0.2;  // 0: one theme per label
  std::size_t max_label_words = 2;
};

struct theme_result {
  std::string id;
  std::string label;
  bool created = false;       // the item founded the theme
  double similarity = 1.0;    // to the theme's centroid before the item joined
  std::string state;          // the theme's new value, under key id
};

// The keyword theme's label ("" when none) and the fallback label of a new
// cluster from top terms ("general" when none).
std::string keyword_theme(const analysis& a);
std::string top_terms(const analysis& a, std::size_t max_words);

class theme_model {
 public:
  explicit theme_model(theme_options o = {});
  ~theme_model();
  theme_model(const theme_model&) = delete;
  theme_model& operator=(const theme_model&) = delete;

  // `known`: the learned theme's label ("" when the model is not confident).
  theme_result assign(const analysis& a, std::string_view workspace, const std::vector<float>& vec,
                      std::string_view known = {});
  bool restore(std::string_view workspace, std::string_view id, std::string_view state);
  // Drops a workspace's themes (it moved to another node); no assign for it may run meanwhile.
  void forget(std::string_view workspace);

 private:
  struct workspace_themes;
  struct impl;
  theme_options opt_;
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::stages::ai
