#include "stages/ai/pair_scorer.hpp"

#include <algorithm>
#include <cmath>

namespace pw::stages::ai {

namespace {

constexpr std::size_t theme_offset = 6 + 4 + 3;  // category, urgency, sentiment come first

void put32(std::string& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}
bool get32(std::string_view in, std::size_t& pos, std::uint32_t& v) {
  if (pos + 4 > in.size()) return false;
  v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + k])) << (8 * k);
  pos += 4;
  return true;
}

float cosine_u8(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, std::size_t from) {
  if (a.size() != b.size() || a.size() <= from) return 0;
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = from; i < a.size(); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? static_cast<float>(ab / std::sqrt(aa * bb)) : 0.0f;
}

std::size_t argmax_u8(const std::vector<std::uint8_t>& v, std::size_t from, std::size_t to) {
  std::size_t best = from;
  for (std::size_t i = from; i < to && i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

}  // namespace

pair_profile make_profile(const analysis& a, const predictions& p) {
  pair_profile r;
  r.guard = signature(a);
  r.language = a.language();
  r.words = static_cast<std::uint16_t>(std::min<std::size_t>(a.words(), 65535));
  for (const auto& t : a.tokens())
    if (t.kind == tok_kind::word && !t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9') {
      const auto h = hash64(t.text);
      r.numbers.push_back(static_cast<std::uint32_t>(h ^ (h >> 32)));
    }
  std::sort(r.numbers.begin(), r.numbers.end());
  r.numbers.erase(std::unique(r.numbers.begin(), r.numbers.end()), r.numbers.end());
  if (p.category.size() == 6 && p.urgency.size() == 4 && p.sentiment.size() == 3)
    for (float x : semantic_vector(p))
      r.semantic.push_back(static_cast<std::uint8_t>(std::lround(std::clamp(x, 0.0f, 1.0f) * 255.0f)));
  return r;
}

void append_profile(std::string& out, const pair_profile& p) {
  append_signature(out, p.guard);
  out.push_back(static_cast<char>(p.language));
  out.push_back(static_cast<char>(p.words & 0xFF));
  out.push_back(static_cast<char>(p.words >> 8));
  put32(out, static_cast<std::uint32_t>(p.numbers.size()));
  for (auto n : p.numbers) put32(out, n);
  put32(out, static_cast<std::uint32_t>(p.semantic.size()));
  out.append(reinterpret_cast<const char*>(p.semantic.data()), p.semantic.size());
}

bool read_profile(std::string_view in, std::size_t& pos, pair_profile& p) {
  if (!read_signature(in, pos, p.guard) || pos + 3 > in.size()) return false;
  const auto l = static_cast<unsigned char>(in[pos]);
  if (l > 2) return false;
  p.language = static_cast<lang>(l);
  p.words = static_cast<std::uint16_t>(static_cast<unsigned char>(in[pos + 1]) | (static_cast<unsigned char>(in[pos + 2]) << 8));
  pos += 3;
  std::uint32_t n = 0;
  if (!get32(in, pos, n) || n > 4096) return false;
  p.numbers.resize(n);
  for (auto& x : p.numbers)
    if (!get32(in, pos, x)) return false;
  if (!get32(in, pos, n) || n > 4096 || pos + n > in.size()) return false;
  p.semantic.assign(in.begin() + static_cast<std::ptrdiff_t>(pos), in.begin() + static_cast<std::ptrdiff_t>(pos + n));
  pos += n;
  return true;
}

std::array<float, pair_feature_names.size()> pair_features(const pair_profile& a, const pair_profile& b, float cosine,
                                                           float best, std::size_t rank) {
  std::array<float, pair_feature_names.size()> f{};
  f[0] = cosine;
  f[1] = cosine - best;
  f[2] = static_cast<float>(std::min<std::size_t>(rank, 20)) / 10.0f;
  const bool sem = !a.semantic.empty() && a.semantic.size() == b.semantic.size();
  f[3] = sem ? cosine_u8(a.semantic, b.semantic, 0) : 0.0f;
  f[4] = sem ? cosine_u8(a.semantic, b.semantic, theme_offset) : 0.0f;
  if (sem) {
    const auto ta = argmax_u8(a.semantic, theme_offset, a.semantic.size());
    f[5] = ta == argmax_u8(b.semantic, theme_offset, b.semantic.size()) && ta != theme_offset ? 1.0f : 0.0f;
    f[6] = argmax_u8(a.semantic, 0, 6) == argmax_u8(b.semantic, 0, 6) ? 1.0f : 0.0f;
    f[7] = argmax_u8(a.semantic, 6, 10) == argmax_u8(b.semantic, 6, 10) ? 1.0f : 0.0f;
    // sentiment: positive - negative, classes in order positive, neutral, negative
    const float sa = (float(a.semantic[10]) - float(a.semantic[12])) / 255.0f;
    const float sb = (float(b.semantic[10]) - float(b.semantic[12])) / 255.0f;
    f[8] = std::fabs(sa - sb);
  }
  // Terms: concepts ('@...') and stems.
  std::size_t ca = 0, cb = 0, cs = 0, ta = 0, tb = 0, ts = 0;
  for (const auto& t : a.guard.terms) (t[0] == '@' ? ca : ta)++;
  for (const auto& t : b.guard.terms) (t[0] == '@' ? cb : tb)++;
  {
    std::size_t i = 0, j = 0;
    const auto& x = a.guard.terms;
    const auto& y = b.guard.terms;
    while (i < x.size() && j < y.size()) {
      if (x[i] < y[j]) ++i;
      else if (y[j] < x[i]) ++j;
      else {
        (x[i][0] == '@' ? cs : ts)++;
        ++i, ++j;
      }
    }
  }
  f[9] = ca + cb - cs ? float(cs) / float(ca + cb - cs) : 0.0f;
  f[10] = ta + tb - ts ? float(ts) / float(ta + tb - ts) : 0.0f;
  f[11] = std::log1p(float(cs + ts)) / 3.0f;
  f[12] = groups_conflict(a.guard.groups, b.guard.groups) ? 1.0f : 0.0f;
  f[13] = minimal_pair(a.guard.terms, b.guard.terms) ? 1.0f : 0.0f;
  bool shared_number = false;
  for (auto n : a.numbers) shared_number = shared_number || std::binary_search(b.numbers.begin(), b.numbers.end(), n);
  const bool both_numbers = !a.numbers.empty() && !b.numbers.empty();
  f[14] = shared_number ? 1.0f : 0.0f;
  f[15] = both_numbers && !shared_number ? 1.0f : 0.0f;
  const bool same_lang = a.language == b.language;
  f[16] = same_lang ? 1.0f : 0.0f;
  f[17] = same_lang ? cosine : 0.0f;
  f[18] = same_lang ? 0.0f : f[4];
  const float wa = std::max<float>(1, a.words), wb = std::max<float>(1, b.words);
  f[19] = std::fabs(std::log(wa / wb));
  return f;
}

pair_scorer pair_scorer::from(const model_file& f) {
  pair_scorer s;
  if (!f.params().count("pair.bias")) return s;
  for (std::size_t i = 0; i < pair_feature_names.size(); ++i)
    s.w_[i] = f.param(std::string("pair.w.") += pair_feature_names[i], 0.0f);
  s.bias_ = f.param("pair.bias", 0.0f);
  s.threshold_ = f.param("pair.threshold", 0.5f);
  s.enabled_ = true;
  return s;
}

float pair_scorer::score(const std::array<float, pair_feature_names.size()>& x) const {
  float z = bias_;
  for (std::size_t i = 0; i < x.size(); ++i) z += w_[i] * x[i];
  return 1.0f / (1.0f + std::exp(-z));
}

void pair_scorer::store(model_file& f, const std::vector<float>& weights, float bias, float threshold) {
  for (std::size_t i = 0; i < pair_feature_names.size(); ++i)
    f.set_param(std::string("pair.w.") += pair_feature_names[i], weights[i]);
  f.set_param("pair.bias", bias);
  f.set_param("pair.threshold", threshold);
}

}  // namespace pw::stages::ai
