#include "stages/ai/embed.hpp"

#include <algorithm>
#include <cmath>

#include "stages/ai/vector_codec.hpp"

namespace pw::stages::ai {

namespace {

constexpr float w_unigram = 1.0f;
constexpr float w_bigram = 0.4f;
constexpr float w_concept = 1.6f;
constexpr float w_chargram = 0.12f;
constexpr float w_impact = 1.2f;

bool impact_tag(std::string_view n) {
  return n.substr(0, 5) == "crit." || n.substr(0, 5) == "high." || n.substr(0, 4) == "med." || n == "refund.pursue" ||
         n == "notrecv" || n == "outage" || n == "scope.many";
}

std::uint32_t term32(std::uint64_t h) { return static_cast<std::uint32_t>(h ^ (h >> 32)); }

// The high 32 bits of the hash scaled to [0, dim) (no division); bit 0 is the sign.
std::size_t slot(std::uint64_t h, std::size_t dim) { return static_cast<std::size_t>(((h >> 32) * dim) >> 32); }

bool content_word(const token& t, lang l) {
  return t.kind == tok_kind::emoji || (t.kind == tok_kind::word && !is_stopword(l, t.text) && t.text.size() > 1);
}


}  // namespace

feature_set features(const analysis& a) {
  feature_set fs;
  auto& out = fs.terms;
  const auto& toks = a.tokens();
  out.reserve(toks.size() * 2 + a.concepts().size());
  fs.chargrams.reserve(toks.size() * 10);
  const lang l = a.language();
  // Words inside a concept span speak through the concept only, so that
  // paraphrases and translations meet.
  std::vector<char> covered(toks.size(), 0);
  for (const auto& c : a.concepts())
    for (std::size_t k = c.begin; k < c.end; ++k) covered[k] = 1;
  std::string_view prev;
  std::string buf;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    if (t.kind == tok_kind::punct || covered[i] || !content_word(t, l)) {
      if (t.kind == tok_kind::punct || covered[i]) prev = {};
      continue;
    }
    const std::string_view st = t.kind == tok_kind::word ? stem(t.text, l) : std::string_view(t.text);
    out.push_back(feature{hash64(st, 0x9e3779b97f4a7c15ull), w_unigram});
    if (!prev.empty()) {
      buf.assign(prev);
      buf.push_back(' ');
      buf += st;
      out.push_back(feature{hash64(buf, 0x51ed270b27f4a7c1ull), w_bigram});
    }
    prev = st;
    if (t.kind != tok_kind::word) continue;
    buf.assign(1, '<');
    buf += t.text;
    buf.push_back('>');
    for (std::size_t n = 3; n <= 4; ++n)
      for (std::size_t k = 0; k + n <= buf.size(); ++k)
        fs.chargrams.push_back(hash64(std::string_view(buf).substr(k, n), 0x2545f4914f6cdd1dull));
  }
  for (const auto& c : a.concepts())
    out.push_back(feature{hash64(a.lex().concept_name(c.entry), 0x7f4a7c159e3779b9ull), w_concept});
  // The impact a text describes (fraud, money not back, an outage, lost
  // progress) is language-independent and names the problem, not the topic.
  for (const auto& t : a.tags()) {
    const std::string_view name = a.lex().tag_name(t.tag);
    if (impact_tag(name)) out.push_back(feature{hash64(name, 0x3c6ef372fe94f82bull), w_impact});
  }
  // Merge equal features: a repeated term counts with a damped weight.
  std::sort(out.begin(), out.end(), [](const feature& x, const feature& y) { return x.hash < y.hash; });
  std::size_t w = 0;
  for (std::size_t i = 0; i < out.size();) {
    std::size_t j = i;
    float sum = 0;
    while (j < out.size() && out[j].hash == out[i].hash) sum += out[j++].weight;
    out[w] = out[i];
    out[w].weight = out[i].weight * (1.0f + std::log(sum / out[i].weight));
    ++w;
    i = j;
  }
  out.resize(w);
  return fs;
}

embedder::stats& embedder::of(std::string_view workspace) {
  {
    std::shared_lock lock(mu_);
    auto it = ws_.find(std::string(workspace));
    if (it != ws_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = ws_[std::string(workspace)];
  if (!slot) slot = std::make_unique<stats>();
  return *slot;
}

const embedder::stats* embedder::find(std::string_view workspace) const {
  std::shared_lock lock(mu_);
  auto it = ws_.find(std::string(workspace));
  return it == ws_.end() ? nullptr : it->second.get();
}

void embedder::forget(std::string_view workspace) {
  std::unique_lock lock(mu_);
  ws_.erase(std::string(workspace));
}

std::uint32_t embedder::documents(std::string_view workspace) const {
  const stats* s = find(workspace);
  if (!s) return 0;
  std::lock_guard lock(const_cast<stats*>(s)->mu);
  return s->docs;
}

namespace {

// The distinct terms of a text, as the document frequencies count them.
std::vector<std::uint32_t> distinct_terms(const std::vector<feature>& feats) {
  std::vector<std::uint32_t> terms;
  terms.reserve(feats.size() / 4);
  for (const auto& f : feats) terms.push_back(term32(f.hash));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace

embed_result embedder::embed(const analysis& a, std::string_view workspace, std::string_view item_id,
                             const std::vector<std::pair<std::string, float>>& extra) {
  auto fs = features(a);
  const auto& feats = fs.terms;
  const auto terms = distinct_terms(feats);

  embed_result r;
  std::vector<float> idf(feats.size(), 1.0f);
  {
    stats& s = of(workspace);
    std::lock_guard lock(s.mu);
    if (s.seen.insert(hash64(item_id)).second) {
      ++s.docs;
      for (auto t : terms) ++s.df[t];
      r.state.reserve(1 + terms.size() * 4);
      r.state.push_back('T');  // format tag: 32-bit LE term hashes follow
      for (auto t : terms)
        for (int k = 0; k < 4; ++k) r.state.push_back(static_cast<char>((t >> (8 * k)) & 0xFF));
    }
    const float n = static_cast<float>(s.docs);
    for (std::size_t i = 0; i < feats.size(); ++i) {
      auto it = s.df.find(term32(feats[i].hash));
      float df = it == s.df.end() ? 0.0f : static_cast<float>(it->second);
      idf[i] = 1.0f + std::log((1.0f + n) / (1.0f + df));
    }
  }
  r.vector.assign(dim_, 0.0f);
  for (std::size_t i = 0; i < feats.size(); ++i) {
    const std::uint64_t h = feats[i].hash;
    r.vector[slot(h, dim_)] += (h & 1u ? 1.0f : -1.0f) * feats[i].weight * idf[i];
  }
  for (std::uint64_t h : fs.chargrams) r.vector[slot(h, dim_)] += h & 1u ? w_chargram : -w_chargram;
  for (const auto& [name, weight] : extra) {
    const std::uint64_t h = hash64(name, 0x6a09e667f3bcc908ull);
    r.vector[slot(h, dim_)] += h & 1u ? weight : -weight;
  }
  normalize(r.vector);
  return r;
}

void embedder::remove(const analysis& a, std::string_view workspace, std::string_view item_id) {
  const auto terms = distinct_terms(features(a).terms);
  stats& s = of(workspace);
  std::lock_guard lock(s.mu);
  if (s.seen.erase(hash64(item_id)) == 0) return;
  --s.docs;
  for (auto t : terms)
    if (auto it = s.df.find(t); it != s.df.end() && --it->second == 0) s.df.erase(it);
}

void embedder::restore(std::string_view workspace, std::string_view item_id, std::string_view state) {
  stats& s = of(workspace);
  std::lock_guard lock(s.mu);
  if (!s.seen.insert(hash64(item_id)).second) return;
  ++s.docs;
  if (!state.empty() && state.front() == 'T') state.remove_prefix(1);
  for (std::size_t i = 0; i + 4 <= state.size(); i += 4) {
    std::uint32_t t = 0;
    for (int k = 0; k < 4; ++k) t |= static_cast<std::uint32_t>(static_cast<unsigned char>(state[i + k])) << (8 * k);
    ++s.df[t];
  }
}

}  // namespace pw::stages::ai
