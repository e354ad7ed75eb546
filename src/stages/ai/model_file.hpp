// The learned models' file: linear classifiers over the hashed text features
// (learned_features.hpp) plus named parameters (decision thresholds, the
// duplicate pair scorer's weights), written by tools/ai_train and read at
// start. Little-endian binary:
//
//   "PWAIMDL1"                     magic and format
//   str version                    e.g. "pw-ai 1.0 corpus:3c9e1a7f items:3360"
//   u32 feature_bits
//   u32 rows, u32 slot[rows]       the feature slots any model weighs, sorted
//   u32 models, then per model:
//     str name, u32 classes, str class[classes]
//     f32 bias[classes], f32 scale[classes]
//     i8  weight[rows * classes]   row-major; weight = scale * i8
//   u32 params, (str name, f32 value)*
//   str = u16 length + bytes
//
// Weights are quantised to 8 bits per class (scale = max |w| / 127): a
// quarter of the float size, and the training tool checks its figures on
// the quantised file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/learned_features.hpp"

namespace pw::stages::ai {

struct linear_model {
  std::string name;
  std::vector<std::string> classes;
  std::vector<float> bias, scale;
  std::vector<std::int8_t> weights;  // rows * classes

  std::size_t index_of(std::string_view cls) const;  // classes.size() when absent
};

class model_file {
 public:
  // Parses a file's bytes; throws std::invalid_argument saying what is wrong.
  static model_file parse(std::string_view bytes);
  std::string serialize() const;

  const std::string& version() const { return version_; }
  const linear_model* model(std::string_view name) const;
  // The parameter's value, or `fallback` when the file does not set it.
  float param(std::string_view name, float fallback) const;
  const std::map<std::string, float, std::less<>>& params() const { return params_; }
  std::size_t rows() const { return slots_.size(); }

  // The rows of the features the file weighs, (row, value): look the slots
  // up once, then evaluate every model over them.
  using row_vector = std::vector<std::pair<std::uint32_t, float>>;
  row_vector rows_of(const sparse_vector& x) const;
  // Decision values w·x + b of every class of `m` (one-vs-rest).
  std::vector<float> decision(const linear_model& m, const row_vector& x) const;
  std::vector<float> decision(const linear_model& m, const sparse_vector& x) const { return decision(m, rows_of(x)); }
  // Probabilities: each class's logistic, normalised to sum 1 (liblinear's
  // multi-class logistic regression).
  std::vector<float> probabilities(const linear_model& m, const row_vector& x) const;
  std::vector<float> probabilities(const linear_model& m, const sparse_vector& x) const {
    return probabilities(m, rows_of(x));
  }

  // For the training tool.
  void set_version(std::string v) { version_ = std::move(v); }
  void set_slots(std::vector<std::uint32_t> sorted_slots);
  const std::vector<std::uint32_t>& slots() const { return slots_; }
  // Quantises float weights (rows * classes, row-major) into a model.
  void add_model(std::string name, std::vector<std::string> classes, const std::vector<float>& weights,
                 std::vector<float> bias);
  void set_param(std::string name, float value) { params_[std::move(name)] = value; }

 private:
  void index_rows();
  std::string version_;
  std::vector<std::uint32_t> slots_;
  std::vector<std::uint32_t> row_of_;  // feature slot -> row, or none
  std::vector<linear_model> models_;
  std::map<std::string, float, std::less<>> params_;
};

}  // namespace pw::stages::ai
