#include "stages/ai/theme.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "stages/ai/vector_codec.hpp"

namespace pw::stages::ai {

namespace {

constexpr char state_tag = 'T';

struct theme {
  std::string id, label;
  std::uint32_t count = 0;
  std::vector<float> sum;  // sum of member vectors; the centroid is its direction
  float norm = 0;
};

std::string slug(std::string_view label) {
  std::string s(label);
  for (auto& c : s)
    if (c == ' ' || c == '_') c = '-';
  return s;
}

std::string encode(const theme& t) {
  std::string out;
  out.push_back(state_tag);
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((t.count >> (8 * k)) & 0xFF));
  out.push_back(static_cast<char>(t.label.size() & 0xFF));
  out.append(t.label.substr(0, 255));
  append_floats(out, t.sum.data(), t.sum.size());
  return out;
}

// Words that say nothing about a topic.
bool generic_word(std::string_view w) {
  static const std::unordered_set<std::string_view> g{
      "app", "apps", "please", "thanks", "thank", "hi", "hello", "hey", "team", "guys", "really", "also", "still",
      "since", "every", "time", "times", "today", "yesterday", "day", "days", "week", "weeks", "get", "got",
      "make", "made", "use", "using", "used", "want", "need", "like", "would", "could", "one", "thing", "things",
      "way", "even", "much", "many", "well", "lot", "bit", "know", "think", "try", "tried", "keep", "keeps",
      "work", "works", "working", "anything", "something", "everything", "nothing", "version", "update",
      "product", "service", "company", "hola", "gracias", "por", "favor", "hallo", "danke", "bitte", "hace",
      "seit", "tag", "tage", "woche", "dia", "dias", "semana", "just", "again", "yet", "ever", "never", "always"};
  return g.count(w) > 0;
}

}  // namespace

struct theme_model::workspace_themes {
  std::mutex mu;
  std::vector<theme> themes;
  std::unordered_map<std::string, std::size_t> by_id;
  std::size_t clusters = 0;  // "c<n>" ids handed out
};

struct theme_model::impl {
  std::shared_mutex mu;
  std::unordered_map<std::string, std::unique_ptr<workspace_themes>> ws;
  workspace_themes& of(std::string_view name) {
    {
      std::shared_lock lock(mu);
      if (auto it = ws.find(std::string(name)); it != ws.end()) return *it->second;
    }
    std::unique_lock lock(mu);
    auto& p = ws[std::string(name)];
    if (!p) p = std::make_unique<workspace_themes>();
    return *p;
  }
};

theme_model::theme_model(theme_options o) : opt_(o), impl_(std::make_unique<impl>()) {}

void theme_model::forget(std::string_view workspace) {
  std::unique_lock lock(impl_->mu);
  impl_->ws.erase(std::string(workspace));
}
theme_model::~theme_model() = default;

std::string keyword_theme(const analysis& a) {
  const auto& lex = a.lex();
  std::unordered_map<tag_id, std::pair<float, std::uint16_t>> score;  // weight, first position
  for (const auto& t : a.tags()) {
    std::string_view name = lex.tag_name(t.tag);
    if (name.substr(0, 6) != "theme.") continue;
    auto& s = score.try_emplace(t.tag, 0.0f, t.begin).first->second;
    s.first += t.weight;
    s.second = std::min(s.second, t.begin);
  }
  tag_id best = 0;
  std::pair<float, std::uint16_t> b{0.0f, 0};
  for (const auto& [tag, s] : score)
    if (s.first > b.first || (s.first == b.first && s.second < b.second) ||
        (s.first == b.first && s.second == b.second && tag < best)) {
      best = tag;
      b = s;
    }
  if (!best) return {};
  std::string label(lex.tag_name(best).substr(6));
  std::replace(label.begin(), label.end(), '_', ' ');
  return label;
}

std::string top_terms(const analysis& a, std::size_t max_words) {
  // Content words not covered by a valence phrase, longest first, then in
  // order of appearance.
  const auto& toks = a.tokens();
  std::vector<char> evaluative(toks.size(), 0);
  for (const auto& h : a.hits("valence"))
    for (std::size_t k = h.begin; k < h.end; ++k) evaluative[k] = 1;
  std::vector<std::pair<std::size_t, std::string_view>> cands;  // (position, word)
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    if (t.kind != tok_kind::word || evaluative[i] || t.text.size() < 4 || is_stopword(a.language(), t.text) ||
        generic_word(t.text) || std::isdigit(static_cast<unsigned char>(t.text[0])))
      continue;
    bool dup = false;
    for (auto& c : cands) dup = dup || c.second == t.text;
    if (!dup) cands.emplace_back(i, t.text);
  }
  if (cands.empty()) return "general";
  std::stable_sort(cands.begin(), cands.end(), [](auto& x, auto& y) { return x.second.size() > y.second.size(); });
  cands.resize(std::min(cands.size(), max_words));
  std::sort(cands.begin(), cands.end());
  std::string out;
  for (auto& c : cands) {
    if (!out.empty()) out.push_back(' ');
    out += c.second;
  }
  return out;
}

theme_result theme_model::assign(const analysis& a, std::string_view workspace, const std::vector<float>& vec,
                                 std::string_view known) {
  workspace_themes& w = impl_->of(workspace);
  std::string kw = known.empty() ? keyword_theme(a) : std::string(known);
  // Nothing topical at all ("love it", "meh"): the one "general" theme.
  if (kw.empty() && top_terms(a, opt_.max_label_words) == "general") kw = "general";
  std::lock_guard lock(w.mu);
  theme_result r;
  std::size_t idx = w.themes.size();
  if (!kw.empty()) {
    const std::string base = slug(kw);
    // The label's themes ("login", "login-2", ...): the nearest centroid.
    double best = -2;
    std::size_t found = w.themes.size();
    std::size_t n = 1;
    for (std::string id = base; w.by_id.count(id); id = base + "-" + std::to_string(++n)) {
      const auto& t = w.themes[w.by_id.at(id)];
      const double sim = t.norm > 0 && t.sum.size() == vec.size() ? dot(t.sum.data(), vec.data(), vec.size()) / t.norm : 1.0;
      if (sim > best) best = sim, found = w.by_id.at(id);
    }
    if (found < w.themes.size() && (best >= opt_.split_threshold || opt_.split_threshold <= 0)) {
      idx = found;
      r.similarity = best;
    } else {
      const std::string id = found < w.themes.size() ? base + "-" + std::to_string(n) : base;
      w.themes.push_back(theme{id, kw, 0, std::vector<float>(vec.size(), 0.0f), 0});
      w.by_id.emplace(id, idx);
      r.created = true;
    }
  } else {
    // Nearest centroid of any theme.
    double best = -1;
    for (std::size_t i = 0; i < w.themes.size(); ++i) {
      const auto& t = w.themes[i];
      if (t.norm <= 0 || t.sum.size() != vec.size()) continue;
      double sim = dot(t.sum.data(), vec.data(), vec.size()) / t.norm;
      if (sim > best) {
        best = sim;
        idx = i;
      }
    }
    if (best >= opt_.threshold) {
      r.similarity = best;
    } else {
      idx = w.themes.size();
      auto cluster_id = [&] {
        std::string id(1, 'c');
        id += std::to_string(++w.clusters);
        return id;
      };
      std::string id = cluster_id();
      while (w.by_id.count(id)) id = cluster_id();
      w.themes.push_back(theme{id, top_terms(a, opt_.max_label_words), 0, std::vector<float>(vec.size(), 0.0f), 0});
      w.by_id.emplace(id, idx);
      r.created = true;
    }
  }
  theme& t = w.themes[idx];
  if (t.sum.size() == vec.size()) {
    for (std::size_t i = 0; i < vec.size(); ++i) t.sum[i] += vec[i];
    t.norm = std::sqrt(dot(t.sum.data(), t.sum.data(), t.sum.size()));
  }
  ++t.count;
  r.id = t.id;
  r.label = t.label;
  r.state = encode(t);
  return r;
}

bool theme_model::restore(std::string_view workspace, std::string_view id, std::string_view state) {
  if (state.size() < 6 || state[0] != state_tag) return false;
  theme t;
  t.id = std::string(id);
  for (int k = 0; k < 4; ++k) t.count |= static_cast<std::uint32_t>(static_cast<unsigned char>(state[1 + k])) << (8 * k);
  std::size_t n = static_cast<unsigned char>(state[5]);
  if (6 + n > state.size()) return false;
  t.label = std::string(state.substr(6, n));
  std::string_view rest = state.substr(6 + n);
  if (rest.size() % 4 != 0) return false;
  t.sum.resize(rest.size() / 4);
  read_floats(rest, t.sum.data(), t.sum.size());
  t.norm = std::sqrt(dot(t.sum.data(), t.sum.data(), t.sum.size()));
  workspace_themes& w = impl_->of(workspace);
  std::lock_guard lock(w.mu);
  if (t.id.size() > 1 && t.id[0] == 'c') {
    std::size_t n_id = 0;
    bool digits = true;
    for (char c : t.id.substr(1)) {
      if (c < '0' || c > '9') digits = false;
      else n_id = n_id * 10 + static_cast<std::size_t>(c - '0');
    }
    if (digits) w.clusters = std::max(w.clusters, n_id);
  }
  if (auto it = w.by_id.find(t.id); it != w.by_id.end()) w.themes[it->second] = std::move(t);
  else {
    w.by_id.emplace(t.id, w.themes.size());
    w.themes.push_back(std::move(t));
  }
  return true;
}

}  // namespace pw::stages::ai
