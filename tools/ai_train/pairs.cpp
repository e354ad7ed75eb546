#include "pairs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <linear.h>

#include "stages/ai/analysis.hpp"
#include "stages/ai/embed.hpp"
#include "stages/ai/pair_scorer.hpp"
#include "stages/ai/vector_codec.hpp"

namespace pw::tools::train {

namespace ai = pw::stages::ai;

namespace {

constexpr std::size_t nf = ai::pair_feature_names.size();

struct pair_row {
  std::size_t item, other, fold;
  std::array<float, nf> x;
  bool positive;
  bool vetoed;  // the guard keeps them apart before any score (duplicate.cpp)
};

void quiet(const char*) {}

struct linear {
  std::vector<float> w;
  float bias = 0;
  float score(const std::array<float, nf>& x) const {
    float z = bias;
    for (std::size_t i = 0; i < nf; ++i) z += w[i] * x[i];
    return 1.0f / (1.0f + std::exp(-z));
  }
};

linear fit_pairs(const std::vector<pair_row>& rows, std::size_t skip_fold, double C) {
  set_print_string_function(quiet);
  std::vector<std::vector<feature_node>> nodes;
  std::vector<double> y;
  for (const auto& r : rows) {
    if (r.fold == skip_fold || r.vetoed) continue;
    std::vector<feature_node> n;
    for (std::size_t i = 0; i < nf; ++i)
      if (r.x[i] != 0.0f) n.push_back({static_cast<int>(i) + 1, r.x[i]});
    n.push_back({static_cast<int>(nf) + 1, 1.0});
    n.push_back({-1, 0.0});
    nodes.push_back(std::move(n));
    y.push_back(r.positive ? 1.0 : 0.0);
  }
  std::vector<feature_node*> xs;
  for (auto& n : nodes) xs.push_back(n.data());
  problem prob{};
  prob.l = static_cast<int>(xs.size());
  prob.n = static_cast<int>(nf) + 1;
  prob.y = y.data();
  prob.x = xs.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_LR;
  param.eps = 0.001;
  param.C = C;
  std::srand(1);
  model* m = ::train(&prob, &param);
  int labels[2];
  get_labels(m, labels);
  const int pos = labels[0] == 1 ? 0 : 1;
  linear l;
  for (std::size_t i = 0; i < nf; ++i) l.w.push_back(static_cast<float>(get_decfun_coef(m, static_cast<int>(i) + 1, pos)));
  l.bias = static_cast<float>(get_decfun_bias(m, pos));
  free_and_destroy_model(&m);
  return l;
}

struct outcome {
  int predicted = 0, correct = 0, traps_paired = 0;
};

// Each item links to its best-scoring candidate when the score reaches t.
outcome decide(const std::vector<labelled>& items, const std::vector<pair_row>& rows, const std::vector<float>& score,
               float t) {
  outcome o;
  std::size_t i = 0;
  while (i < rows.size()) {
    std::size_t j = i, best = rows.size();
    for (; j < rows.size() && rows[j].item == rows[i].item; ++j)
      if (!rows[j].vetoed && score[j] >= t && (best == rows.size() || score[j] > score[best])) best = j;
    if (best != rows.size()) {
      ++o.predicted;
      o.correct += rows[best].positive;
      const auto& a = items[rows[best].item];
      const auto& b = items[rows[best].other];
      o.traps_paired += (!a.trap_of.empty() && a.trap_of == b.dup_group) || (!b.trap_of.empty() && b.trap_of == a.dup_group);
    }
    i = j;
  }
  return o;
}

}  // namespace

void train_pair_scorer(const std::vector<labelled>& items, const std::vector<ai::predictions>& oof,
                       const std::map<std::string, std::size_t>& fold_of, std::size_t folds, ai::model_file& out,
                       std::size_t candidates) {
  ai::embedder emb;
  std::vector<std::vector<float>> vec(items.size());
  std::vector<ai::pair_profile> prof(items.size());
  std::map<std::string, std::vector<std::size_t>> by_ws;  // workspace -> items in file order
  std::vector<std::string> ws_order;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!by_ws.count(items[i].workspace)) ws_order.push_back(items[i].workspace);
    by_ws[items[i].workspace].push_back(i);
  }
  std::vector<pair_row> rows;
  int gold_links = 0, reachable = 0, traps = 0;
  std::map<std::string, int> group_size;
  for (const auto& x : items)
    if (!x.dup_group.empty()) ++group_size[x.workspace + "/" + x.dup_group];
  for (auto& [k, n] : group_size) gold_links += n - 1;
  for (const auto& ws : ws_order) {
    const auto& members = by_ws[ws];
    for (std::size_t k = 0; k < members.size(); ++k) {
      const std::size_t i = members[k];
      const ai::analysis a(items[i].text);
      vec[i] = emb.embed(a, ws, items[i].id, ai::theme_terms(out, oof[i])).vector;
      prof[i] = ai::make_profile(a, oof[i]);
      traps += !items[i].trap_of.empty();
      std::vector<std::pair<float, std::size_t>> near;
      for (std::size_t q = 0; q < k; ++q) near.emplace_back(ai::dot(vec[i].data(), vec[members[q]].data(), vec[i].size()), members[q]);
      std::sort(near.begin(), near.end(), [](auto& x, auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
      if (near.size() > candidates) near.resize(candidates);
      bool has_earlier = false, found = false;
      for (std::size_t q = 0; q < k; ++q)
        has_earlier = has_earlier || (!items[i].dup_group.empty() && items[members[q]].dup_group == items[i].dup_group);
      for (std::size_t r = 0; r < near.size(); ++r) {
        const std::size_t j = near[r].second;
        const bool pos = !items[i].dup_group.empty() && items[i].dup_group == items[j].dup_group;
        found = found || pos;
        rows.push_back(pair_row{i, j, fold_of.at(items[i].batch),
                                ai::pair_features(prof[i], prof[j], near[r].first, near.front().first, r), pos,
                                ai::conflict(prof[i].guard, prof[j].guard)});
      }
      reachable += has_earlier && found;
    }
  }
  std::fprintf(stderr, "pairs: %zu candidate pairs; %d of %d gold links have a group member among the %zu candidates\n",
               rows.size(), reachable, gold_links, candidates);

  const double C = 1.0;
  std::vector<float> score(rows.size());
  for (std::size_t f = 0; f < folds; ++f) {
    auto m = fit_pairs(rows, f, C);
    for (std::size_t r = 0; r < rows.size(); ++r)
      if (rows[r].fold == f) score[r] = m.score(rows[r].x);
  }
  // The threshold of the best out-of-fold F1 among those that pair at most
  // `max_traps` of the traps (the target is 2 in 17, 12 %; 10 % leaves room).
  const double max_traps = 0.10;
  float best_t = 0.9f;
  double best_f1 = -1;
  for (float t = 0.05f; t <= 0.9f; t += 0.025f) {
    auto o = decide(items, rows, score, t);
    const double p = o.predicted ? double(o.correct) / o.predicted : 0, r = double(o.correct) / gold_links;
    const double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
    if (o.traps_paired > max_traps * traps) continue;
    if (f1 > best_f1) best_f1 = f1, best_t = t;
  }
  const auto o = decide(items, rows, score, best_t);
  std::fprintf(stderr, "pair threshold %.3f: cv precision %.3f recall %.3f F1 %.3f, traps paired %d of %d\n", best_t,
               o.predicted ? double(o.correct) / o.predicted : 0.0, double(o.correct) / gold_links, best_f1,
               o.traps_paired, traps);
  auto final_model = fit_pairs(rows, folds, C);
  for (std::size_t i = 0; i < nf; ++i)
    std::fprintf(stderr, "  pair.w.%-26s %+.3f\n", std::string(ai::pair_feature_names[i]).c_str(), final_model.w[i]);
  ai::pair_scorer::store(out, final_model.w, final_model.bias, best_t);
}

}  // namespace pw::tools::train
