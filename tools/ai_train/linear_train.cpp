#include "linear_train.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <linear.h>

namespace pw::tools::train {

namespace {
void quiet(const char*) {}
}  // namespace

design make_design(const std::vector<stages::ai::sparse_vector>& texts, std::size_t min_df) {
  std::unordered_map<std::uint32_t, std::size_t> df;
  for (const auto& t : texts)
    for (const auto& e : t.entries) ++df[e.first];
  design d;
  for (const auto& [slot, n] : df)
    if (n >= min_df) d.slots.push_back(slot);
  std::sort(d.slots.begin(), d.slots.end());
  for (std::size_t r = 0; r < d.slots.size(); ++r) d.row[d.slots[r]] = static_cast<std::uint32_t>(r);
  const int bias_index = static_cast<int>(d.slots.size()) + 1;
  d.x.reserve(texts.size());
  for (const auto& t : texts) {
    std::vector<feature_node> nodes;
    nodes.reserve(t.entries.size() + 2);
    for (const auto& [slot, v] : t.entries)
      if (auto it = d.row.find(slot); it != d.row.end()) nodes.push_back({static_cast<int>(it->second) + 1, v});
    std::sort(nodes.begin(), nodes.end(), [](auto& a, auto& b) { return a.index < b.index; });
    nodes.push_back({bias_index, 1.0});
    nodes.push_back({-1, 0.0});
    d.x.push_back(std::move(nodes));
  }
  return d;
}

fitted fit(const design& d, const std::vector<std::size_t>& use, const std::vector<int>& y,
           const std::vector<std::string>& classes, double C) {
  set_print_string_function(quiet);
  std::srand(1);  // solver 0 draws nothing; fixed anyway so a rerun is the same bytes
  std::vector<double> labels;
  std::vector<feature_node*> xs;
  for (auto i : use) {
    labels.push_back(y[i]);
    xs.push_back(const_cast<feature_node*>(d.x[i].data()));
  }
  problem prob{};
  prob.l = static_cast<int>(use.size());
  prob.n = static_cast<int>(d.slots.size()) + 1;
  prob.y = labels.data();
  prob.x = xs.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_LR;
  param.eps = 0.01;
  param.C = C;
  if (const char* err = check_parameter(&prob, &param)) throw std::runtime_error(std::string("liblinear: ") + err);
  model* m = ::train(&prob, &param);
  const int nc = get_nr_class(m);
  std::vector<int> model_labels(nc);
  get_labels(m, model_labels.data());
  fitted f;
  f.classes = classes;
  const std::size_t rows = d.slots.size(), k = classes.size();
  f.weights.assign(rows * k, 0.0f);
  f.bias.assign(k, -30.0f);  // a class absent from `use` is never predicted
  for (int li = 0; li < nc; ++li) {
    const auto c = static_cast<std::size_t>(model_labels[li]);
    for (std::size_t r = 0; r < rows; ++r)
      f.weights[r * k + c] = static_cast<float>(get_decfun_coef(m, static_cast<int>(r) + 1, li));
    f.bias[c] = static_cast<float>(get_decfun_bias(m, li));
  }
  free_and_destroy_model(&m);
  return f;
}

std::vector<float> probabilities(const fitted& f, const design& d, std::size_t text) {
  const std::size_t k = f.classes.size();
  std::vector<float> acc(f.bias);
  for (const auto& n : d.x[text]) {
    if (n.index < 1 || static_cast<std::size_t>(n.index) > d.slots.size()) continue;
    const float* w = &f.weights[static_cast<std::size_t>(n.index - 1) * k];
    for (std::size_t c = 0; c < k; ++c) acc[c] += static_cast<float>(n.value) * w[c];
  }
  float sum = 0;
  for (auto& v : acc) sum += (v = 1.0f / (1.0f + std::exp(-v)));
  for (auto& v : acc) v /= sum;
  return acc;
}

}  // namespace pw::tools::train
