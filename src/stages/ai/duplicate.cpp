#include "stages/ai/duplicate.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>

#include <hnswlib/hnswlib.h>

#include "stages/ai/vector_codec.hpp"

namespace pw::stages::ai {

namespace {

constexpr char state_tag_v2 = 'W';  // format 2: guard groups and key terms
constexpr char state_tag = 'P';     // format 3: the whole pair profile

struct record {
  std::string id;
  pair_profile profile;
  std::size_t root;  // label of the group's first item
  bool removed = false;  // the item was deleted: never a candidate again
};

}  // namespace

// A workspace's items. Below `flat_limit` items the vectors sit in one flat
// array searched exactly (fast at that size, and an hnswlib index costs
// ~3 MB of locks however small); beyond it they move into an HNSW graph.
struct duplicate_index::space {
  std::mutex mu;
  std::size_t dim = 0;
  std::vector<float> flat;  // label * dim, while there is no graph
  std::unique_ptr<hnswlib::InnerProductSpace> metric;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  std::vector<record> items;  // by label
  std::unordered_map<std::string, std::size_t> labels;
  std::vector<std::size_t> group_size;  // by root label
  std::size_t removed = 0;
};

struct duplicate_index::impl {
  mutable std::shared_mutex mu;
  std::unordered_map<std::string, std::unique_ptr<space>> spaces;

  space& of(std::string_view ws) {
    {
      std::shared_lock lock(mu);
      if (auto it = spaces.find(std::string(ws)); it != spaces.end()) return *it->second;
    }
    std::unique_lock lock(mu);
    auto& s = spaces[std::string(ws)];
    if (!s) s = std::make_unique<space>();
    return *s;
  }
};

duplicate_index::duplicate_index(duplicate_options o) : opt_(o), impl_(std::make_unique<impl>()) {}
duplicate_index::~duplicate_index() = default;

namespace {

// Checks the dimension, and moves a workspace that outgrew the flat array
// into a graph (or grows the graph).
template <class Space>
void prepare(Space& s, std::size_t dim, const duplicate_options& o) {
  if (s.items.empty() && !s.index) s.dim = dim;
  if (dim != s.dim)
    throw std::invalid_argument("embedding has " + std::to_string(dim) + " dimensions, the workspace's index " +
                                std::to_string(s.dim));
  if (!s.index && s.items.size() + 1 > o.flat_limit) {
    s.metric = std::make_unique<hnswlib::InnerProductSpace>(dim);
    s.index = std::make_unique<hnswlib::HierarchicalNSW<float>>(s.metric.get(), 2 * (s.items.size() + 1), o.m,
                                                                o.ef_construction);
    s.index->setEf(o.ef);
    for (std::size_t l = 0; l < s.items.size(); ++l) {
      s.index->addPoint(&s.flat[l * dim], l);
      if (s.items[l].removed) s.index->markDelete(l);
    }
    std::vector<float>().swap(s.flat);
  }
  if (s.index && s.items.size() + 1 > s.index->max_elements_) s.index->resizeIndex(s.index->max_elements_ * 2);
}

// The `k` most similar items with labels below `self`, exactly.
template <class Space>
std::vector<std::pair<float, std::size_t>> flat_search(const Space& s, const float* q, std::size_t self, std::size_t k) {
  std::vector<std::pair<float, std::size_t>> top;  // min-heap by similarity
  auto cmp = [](const auto& a, const auto& b) { return a.first > b.first; };
  for (std::size_t l = 0; l < self; ++l) {
    if (s.items[l].removed) continue;
    float sim = dot(q, &s.flat[l * s.dim], s.dim);
    if (top.size() < k) {
      top.emplace_back(sim, l);
      std::push_heap(top.begin(), top.end(), cmp);
    } else if (sim > top.front().first) {
      std::pop_heap(top.begin(), top.end(), cmp);
      top.back() = {sim, l};
      std::push_heap(top.begin(), top.end(), cmp);
    }
  }
  return top;
}

std::string encode(std::string_view dup_of, const pair_profile& p, const std::vector<float>& v) {
  std::string out;
  out.reserve(32 + dup_of.size() + p.guard.groups.size() * 8 + p.guard.terms.size() * 8 + p.semantic.size() + v.size() * 4);
  out.push_back(state_tag);
  out.push_back(static_cast<char>(dup_of.size() & 0xFF));
  out.push_back(static_cast<char>((dup_of.size() >> 8) & 0xFF));
  out.append(dup_of);
  append_profile(out, p);
  append_floats(out, v.data(), v.size());
  return out;
}

// Stores the vector of label `l` (new or replaced).
template <class Space>
void put_vector(Space& s, std::size_t l, const float* v) {
  if (s.index) {
    s.index->addPoint(v, l);
    return;
  }
  if (s.flat.size() < (l + 1) * s.dim) s.flat.resize((l + 1) * s.dim);
  std::copy(v, v + s.dim, s.flat.begin() + static_cast<std::ptrdiff_t>(l * s.dim));
}

}  // namespace

duplicate_result duplicate_index::add(std::string_view workspace, std::string_view item_id,
                                      const std::vector<float>& vec, const pair_profile& profile) {
  space& s = impl_->of(workspace);
  std::lock_guard lock(s.mu);
  prepare(s, vec.size(), opt_);
  duplicate_result r;
  // A re-run keeps its label and only looks at items before it.
  std::size_t self = s.items.size();
  if (auto it = s.labels.find(std::string(item_id)); it != s.labels.end()) self = it->second;
  const bool fresh = self == s.items.size();

  std::vector<std::pair<float, std::size_t>> found;  // (similarity, label)
  const bool learned = opt_.scorer.enabled() && !profile.semantic.empty();
  auto decide = [&] {
    std::sort(found.begin(), found.end(),
              [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    std::optional<std::size_t> best;
    float best_score = 0;
    for (std::size_t rank = 0; rank < found.size(); ++rank) {
      const auto& [sim, label] = found[rank];
      const auto& other = s.items[label].profile;
      // The guard's exclusive alternatives and minimal pairs (import vs
      // export, log in vs log out) are never merged, whatever the score.
      if (learned && other.semantic.size() == profile.semantic.size()) {
        if (conflict(profile.guard, other.guard)) {
          r.guarded = true;
          continue;
        }
        const float p = opt_.scorer.score(pair_features(profile, other, sim, found.front().first, rank));
        if (p > best_score) best_score = p, best = label;
        continue;
      }
      if (sim < opt_.threshold) continue;
      if (conflict(profile.guard, other.guard)) {
        r.guarded = true;
        continue;
      }
      if (!best) best = label, best_score = 0;
    }
    r.score = best_score;
    if (learned && best && best_score < opt_.scorer.threshold()) {
      r.guarded = true;
      best.reset();
    }
    return best;
  };
  std::optional<std::size_t> chosen;
  if (learned && s.index && fresh) {
    // One graph operation: insert, then read back the level-0 neighbours
    // (hnswlib keeps the closest of its insertion search and a diverse set
    // of others); the scorer weighs the `candidates` most similar of them,
    // as it was trained on the nearest earlier items.
    auto internal = s.index->addPoint(vec.data(), self, -1);
    auto* ll = s.index->get_linklist0(internal);
    auto n = s.index->getListCount(ll);
    auto* ids = reinterpret_cast<hnswlib::tableint*>(ll + 1);
    for (std::size_t i = 0; i < n; ++i) {
      auto label = static_cast<std::size_t>(s.index->getExternalLabel(ids[i]));
      if (label >= self || s.items[label].removed) continue;
      auto* data = reinterpret_cast<const float*>(s.index->getDataByInternalId(ids[i]));
      found.emplace_back(dot(vec.data(), data, vec.size()), label);
    }
    std::sort(found.begin(), found.end(),
              [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    if (found.size() > opt_.candidates) found.resize(opt_.candidates);
    chosen = decide();
  } else if (!s.index) {
    found = flat_search(s, vec.data(), self, opt_.candidates);
    chosen = decide();
    put_vector(s, self, vec.data());
  } else {
    // A new item is inserted first and its level-0 neighbours (hnswlib keeps
    // the closest candidate of its insertion search and a diverse set of
    // others) are read back: one graph search instead of two. When those
    // give nothing usable (all guarded, or a re-run), a k-NN search decides.
    if (fresh) {
      auto internal = s.index->addPoint(vec.data(), self, -1);
      auto* ll = s.index->get_linklist0(internal);
      auto n = s.index->getListCount(ll);
      auto* ids = reinterpret_cast<hnswlib::tableint*>(ll + 1);
      for (std::size_t i = 0; i < n; ++i) {
        auto label = static_cast<std::size_t>(s.index->getExternalLabel(ids[i]));
        if (label >= self || s.items[label].removed) continue;
        auto* data = reinterpret_cast<const float*>(s.index->getDataByInternalId(ids[i]));
        found.emplace_back(dot(vec.data(), data, vec.size()), label);
      }
      chosen = decide();
    }
    // hnswlib leaves nodes marked deleted out of searchKnn's answer.
    const std::size_t live = s.items.size() - s.removed + (fresh ? 1 : 0);
    if (!chosen && (!fresh || r.guarded) && self > 0 && live > 1) {
      found.clear();
      auto pq = s.index->searchKnn(vec.data(), std::min(opt_.candidates + 1, live));
      while (!pq.empty()) {
        auto [dist, label] = pq.top();
        pq.pop();
        if (label < self) found.emplace_back(1.0f - dist, static_cast<std::size_t>(label));
      }
      chosen = decide();
    }
    if (!fresh) put_vector(s, self, vec.data());
  }
  for (const auto& f : found)
    if (chosen && f.second == *chosen) r.similarity = f.first;
  if (!found.empty()) {
    r.nearest = s.items[found.front().second].id;
    if (!chosen) r.similarity = found.front().first;
  }
  std::size_t root = self;
  if (chosen) {
    r.duplicate_of = s.items[*chosen].id;
    root = s.items[*chosen].root;
  }
  if (fresh) {
    s.items.push_back(record{std::string(item_id), profile, root});
    s.labels.emplace(std::string(item_id), self);
    s.group_size.push_back(0);
    ++s.group_size[root];
  } else {
    auto& rec = s.items[self];
    if (rec.root != root) {
      --s.group_size[rec.root];
      ++s.group_size[root];
      rec.root = root;
    }
    rec.profile = profile;
  }
  r.duplicates = s.group_size[root] - 1;
  r.group = s.items[root].id;
  r.state = encode(r.duplicate_of ? std::string_view(*r.duplicate_of) : std::string_view(), profile, vec);
  return r;
}

bool duplicate_index::restore(std::string_view workspace, std::string_view item_id, std::string_view state) {
  if (state.size() < 3 || (state[0] != state_tag && state[0] != state_tag_v2)) return false;
  std::size_t pos = 3;
  std::size_t n = static_cast<unsigned char>(state[1]) | (static_cast<std::size_t>(static_cast<unsigned char>(state[2])) << 8);
  if (pos + n > state.size()) return false;
  std::string dup_of(state.substr(pos, n));
  pos += n;
  pair_profile g;
  if (state[0] == state_tag ? !read_profile(state, pos, g) : !read_signature(state, pos, g.guard)) return false;
  std::string_view rest = state.substr(pos);
  if (rest.empty() || rest.size() % 4 != 0) return false;
  std::vector<float> v(rest.size() / 4);
  read_floats(rest, v.data(), v.size());

  space& s = impl_->of(workspace);
  std::lock_guard lock(s.mu);
  prepare(s, v.size(), opt_);
  if (s.labels.count(std::string(item_id))) return true;
  std::size_t self = s.items.size(), root = self;
  if (!dup_of.empty())
    if (auto it = s.labels.find(dup_of); it != s.labels.end()) root = s.items[it->second].root;
  put_vector(s, self, v.data());
  s.items.push_back(record{std::string(item_id), std::move(g), root});
  s.labels.emplace(std::string(item_id), self);
  s.group_size.push_back(0);
  ++s.group_size[root];
  return true;
}

bool duplicate_index::remove(std::string_view workspace, std::string_view item_id) {
  space& s = impl_->of(workspace);
  std::lock_guard lock(s.mu);
  auto it = s.labels.find(std::string(item_id));
  if (it == s.labels.end()) return false;
  const std::size_t l = it->second;
  s.labels.erase(it);
  auto& rec = s.items[l];
  rec.removed = true;
  rec.profile = pair_profile{};
  --s.group_size[rec.root];
  ++s.removed;
  if (s.index) s.index->markDelete(l);
  return true;
}

void duplicate_index::forget(std::string_view workspace) {
  std::unique_lock lock(impl_->mu);
  impl_->spaces.erase(std::string(workspace));
}

std::size_t duplicate_index::size(std::string_view workspace) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->spaces.find(std::string(workspace));
  if (it == impl_->spaces.end()) return 0;
  std::lock_guard l(it->second->mu);
  return it->second->items.size() - it->second->removed;
}

}  // namespace pw::stages::ai
