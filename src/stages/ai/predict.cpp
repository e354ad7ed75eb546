#include "stages/ai/predict.hpp"

#include <algorithm>
#include <cmath>

namespace pw::stages::ai {

namespace {

// The likeliest class after the file's per-class offsets ("<model>.offset.<class>",
// log-odds added to each class, chosen by the training tool on out-of-fold
// predictions to undo the pull of the majority class).
std::size_t argmax(const model_file& m, const linear_model& lm, const std::vector<float>& v,
                   std::size_t skip = static_cast<std::size_t>(-1)) {
  std::size_t best = v.size();
  float best_v = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i == skip) continue;
    const float x = std::log(std::max(v[i], 1e-9f)) + m.param(lm.name + ".offset." + lm.classes[i], 0.0f);
    if (best == v.size() || x > best_v) best = i, best_v = x;
  }
  return best;
}

}  // namespace

predictions predict(const model_file& m, const sparse_vector& x) {
  predictions p;
  const auto rows = m.rows_of(x);
  if (auto* s = m.model("sentiment")) p.sentiment = m.probabilities(*s, rows);
  if (auto* c = m.model("category")) p.category = m.probabilities(*c, rows);
  if (auto* u = m.model("urgency")) p.urgency = m.probabilities(*u, rows);
  if (auto* t = m.model("theme")) p.theme = m.probabilities(*t, rows);
  return p;
}

decisions decide(const model_file& m, const predictions& p) {
  decisions d;
  if (auto* s = m.model("sentiment"); s && !p.sentiment.empty()) {
    d.sentiment = s->classes[argmax(m, *s, p.sentiment)];
    const auto pos = s->index_of("positive"), neg = s->index_of("negative");
    d.sentiment_score = (pos < p.sentiment.size() ? p.sentiment[pos] : 0.0) - (neg < p.sentiment.size() ? p.sentiment[neg] : 0.0);
  }
  if (auto* c = m.model("category"); c && !p.category.empty()) {
    auto k = argmax(m, *c, p.category);
    d.category = c->classes[k];
    d.category_confidence = std::clamp<double>(p.category[k], 1e-4, 1.0);
  }
  if (auto* u = m.model("urgency"); u && !p.urgency.empty()) {
    const auto crit = u->index_of("critical");
    std::size_t k;
    if (crit < p.urgency.size() && p.urgency[crit] >= m.param("urgency.critical_threshold", 0.5f)) k = crit;
    else k = argmax(m, *u, p.urgency, crit);
    d.urgency = u->classes[k];
    double lo = 0.0, hi = 0.3;
    if (d.urgency == "medium") lo = 0.3, hi = 0.6;
    else if (d.urgency == "high") lo = 0.6, hi = 0.85;
    else if (d.urgency == "critical") lo = 0.85, hi = 1.0;
    d.urgency_score = lo + (hi - lo) * 0.999 * std::clamp<double>(p.urgency[k], 0.0, 1.0);
  }
  if (auto* t = m.model("theme"); t && !p.theme.empty()) {
    std::size_t k = 0;
    for (std::size_t i = 1; i < p.theme.size(); ++i)
      if (p.theme[i] > p.theme[k]) k = i;
    if (t->classes[k] != "~other" && p.theme[k] >= m.param("theme.accept", 0.35f)) {
      d.theme = t->classes[k];
      d.theme_probability = p.theme[k];
    }
  }
  return d;
}

std::vector<std::pair<std::string, float>> theme_terms(const model_file& m, const predictions& p, float weight) {
  std::vector<std::pair<std::string, float>> out;
  const auto* t = m.model("theme");
  if (!t || p.theme.size() != t->classes.size()) return out;
  std::size_t first = p.theme.size(), second = p.theme.size();
  for (std::size_t i = 0; i < p.theme.size(); ++i) {
    if (t->classes[i] == "~other") continue;
    if (first == p.theme.size() || p.theme[i] > p.theme[first]) second = first, first = i;
    else if (second == p.theme.size() || p.theme[i] > p.theme[second]) second = i;
  }
  for (auto k : {first, second})
    if (k < p.theme.size()) out.emplace_back("~theme:" + t->classes[k], weight * p.theme[k]);
  return out;
}

std::vector<float> semantic_vector(const predictions& p) {
  std::vector<float> v;
  v.reserve(p.category.size() + p.urgency.size() + p.sentiment.size() + p.theme.size());
  v.insert(v.end(), p.category.begin(), p.category.end());
  v.insert(v.end(), p.urgency.begin(), p.urgency.end());
  v.insert(v.end(), p.sentiment.begin(), p.sentiment.end());
  v.insert(v.end(), p.theme.begin(), p.theme.end());
  return v;
}

}  // namespace pw::stages::ai
