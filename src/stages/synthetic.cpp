#include "stages/synthetic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <boost/json.hpp>

namespace pw::stages::synthetic {

namespace {

constexpr std::size_t dim = 64;
constexpr int hash_rounds = 4;
using vec = std::array<double, dim>;

// Decodes UTF-8 into code points; a byte that does not start a complete
// sequence counts as Latin-1 (input is validated upstream, so this is rare).
template <class F>
void for_each_code_point(std::string_view s, F f) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])); };
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t c = byte(i);
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + n > s.size()) n = 1;
    std::uint32_t cp = c;
    if (n == 2) cp = ((c & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu);
    if (n == 3) cp = ((c & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu);
    if (n == 4)
      cp = ((c & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu);
    f(cp);
    i += n;
  }
}

// JavaScript's Math.round: the nearest integer, halves towards +infinity.
double js_round(double x) noexcept {
  double r = std::floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

template <class F>
void for_each_utf16_unit(std::string_view s, F f) {
  for_each_code_point(s, [&](std::uint32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      f(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      f(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      f(static_cast<std::uint16_t>(cp));
    }
  });
}

std::uint32_t churn(std::string_view text, std::string_view salt) {
  std::uint32_t h = fnv1a(salt);
  for (int r = 0; r < hash_rounds; ++r) h = fnv1a(text, h);
  return h;
}

vec proto_vector(const std::string& name) {
  vec v{};
  double n = 0;
  for (std::size_t i = 0; i < dim; ++i) {
    v[i] = static_cast<double>(fnv1a(name + ":" + std::to_string(i)) & 0xffffu) / 65535.0 - 0.5;
    n += v[i] * v[i];
  }
  n = std::sqrt(n);
  for (auto& x : v) x /= n;
  return v;
}

double dot(const vec& a, const vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < dim; ++i) s += a[i] * b[i];
  return s;
}

struct model {
  std::array<std::string_view, 4> labels{"bug", "feature", "question", "praise"};
  std::array<vec, 4> label_protos;
  std::array<vec, 32> refs;
  model() {
    for (std::size_t i = 0; i < 4; ++i) label_protos[i] = proto_vector("class-" + std::string(labels[i]));
    for (std::size_t k = 0; k < 32; ++k) refs[k] = proto_vector("ref-" + std::to_string(k));
  }
};

const model& weights() {
  static const model m;  // immutable after construction
  return m;
}

bool one_of(std::string_view t, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), t) != words.end();
}

double num(const boost::json::object& o, std::string_view key) {
  const auto& v = o.at(key);
  return v.is_double() ? v.get_double() : static_cast<double>(v.to_number<double>());
}

// Reads an upstream stage's result or says which one is missing.
const boost::json::object& upstream(const stage_input& in, std::string_view stage) {
  if (auto* r = in.upstream.find(stage)) return *r;
  throw std::invalid_argument("synthetic stage needs the result of '" + std::string(stage) + "'");
}

vec embedding(const stage_input& in) {
  const auto& arr = upstream(in, "embed").at("vector").as_array();
  vec v{};
  for (std::size_t i = 0; i < dim && i < arr.size(); ++i) v[i] = arr[i].to_number<double>();
  return v;
}

boost::json::value h_of(std::string_view text, std::string_view salt) {
  return static_cast<std::int64_t>(churn(text, salt));
}

class stage final : public stage_backend {
 public:
  explicit stage(std::string_view kind) : kind_(kind) {}

  stage_outcome run(const stage_input& in) override {
    try {
      return success(compute(in));
    } catch (const std::exception& e) {
      // A missing upstream result is a wiring error; retrying will not help.
      return permanent_error(e.what());
    }
  }

 private:
  boost::json::object compute(const stage_input& in) const {
    const std::string_view text = in.item.text;
    boost::json::object out;
    if (kind_ == "embed") {
      auto tokens = tokenize(text);
      vec v{};
      for (const auto& t : tokens) {
        std::uint32_t h = fnv1a(t);
        v[h & (dim - 1)] += ((h >> 6) & 1u) ? 1.0 : -1.0;
      }
      double n = 0;
      for (double x : v) n += x * x;
      n = std::sqrt(n);
      if (n == 0) n = 1;
      boost::json::array arr;
      arr.reserve(dim);
      for (double x : v) arr.emplace_back(round4(x / n));
      out["vector"] = std::move(arr);
      out["tokens"] = static_cast<std::int64_t>(tokens.size());
    } else if (kind_ == "classify") {
      const auto& m = weights();
      auto v = embedding(in);
      std::array<double, 4> s{};
      std::size_t best = 0;
      for (std::size_t i = 0; i < 4; ++i) s[i] = dot(v, m.label_protos[i]);
      for (std::size_t i = 1; i < 4; ++i)
        if (s[i] > s[best]) best = i;
      double z = 0;
      for (double x : s) z += std::exp(x);
      out["label"] = m.labels[best];
      out["confidence"] = round4(std::exp(s[best]) / z);
    } else if (kind_ == "sentiment") {
      int p = 0, q = 0;
      for (const auto& t : tokenize(text)) {
        if (one_of(t, {"good", "great", "love", "excellent", "happy", "thanks", "awesome", "nice"})) ++p;
        if (one_of(t, {"bad", "broken", "hate", "terrible", "slow", "crash", "bug", "awful"})) ++q;
      }
      double score = round4(static_cast<double>(p - q) / std::max(1, p + q));
      out["score"] = score;
      out["label"] = score > 0.2 ? "positive" : score < -0.2 ? "negative" : "neutral";
    } else if (kind_ == "urgency") {
      int hits = 0, bangs = 0;
      for (const auto& t : tokenize(text))
        if (one_of(t, {"urgent", "asap", "now", "immediately", "critical", "blocker", "down", "outage"})) ++hits;
      for_each_utf16_unit(text, [&](std::uint16_t u) { bangs += u == '!'; });
      double score = round4(std::min(1.0, 0.3 * hits + 0.1 * bangs));
      out["score"] = score;
      out["level"] = score >= 0.6 ? "high" : score >= 0.3 ? "medium" : "low";
    } else if (kind_ == "duplicate") {
      const auto& m = weights();
      auto v = embedding(in);
      std::size_t best = 0;
      double best_sim = -2;
      for (std::size_t k = 0; k < m.refs.size(); ++k) {
        double sim = dot(v, m.refs[k]);
        if (sim > best_sim) {
          best_sim = sim;
          best = k;
        }
      }
      out["isDuplicate"] = best_sim > 0.9;
      out["of"] = "ref-" + std::to_string(best);
      out["similarity"] = round4(best_sim);
    } else if (kind_ == "theme") {
      auto v = embedding(in);
      std::array<std::size_t, dim> idx;
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(),
                       [&](std::size_t a, std::size_t b) { return std::fabs(v[a]) > std::fabs(v[b]); });
      boost::json::array themes;
      for (std::size_t i = 0; i < 3; ++i) themes.emplace_back("theme-" + std::to_string(idx[i]));
      out["themes"] = std::move(themes);
    } else if (kind_ == "priority") {
      const auto& c = upstream(in, "classify");
      double s = num(upstream(in, "sentiment"), "score");
      double u = num(upstream(in, "urgency"), "score");
      bool dup = upstream(in, "duplicate").at("isDuplicate").as_bool();
      bool bug = c.at("label").as_string() == "bug";
      double x = 0.5 * u + 0.2 * (s < 0 ? -s : 0) + 0.2 * (bug ? 1 : 0) + 0.1 * (dup ? 0 : 1);
      auto score = static_cast<std::int64_t>(js_round(100 * std::min(1.0, x)));
      out["score"] = score;
      out["bucket"] = score >= 70 ? "P1" : score >= 40 ? "P2" : "P3";
    }
    out["h"] = h_of(text, kind_);
    return out;
  }

  std::string kind_;
};

}  // namespace

std::uint32_t fnv1a(std::string_view utf8, std::uint32_t seed) noexcept {
  std::uint32_t h = seed;
  for_each_utf16_unit(utf8, [&](std::uint16_t u) {
    h ^= static_cast<std::uint32_t>(u & 0xffu);
    h *= 0x01000193u;
  });
  return h;
}

std::vector<std::string> tokenize(std::string_view utf8) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for_each_code_point(utf8, [&](std::uint32_t cp) {
    if (cp >= 'A' && cp <= 'Z') cur.push_back(static_cast<char>(cp - 'A' + 'a'));
    else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) cur.push_back(static_cast<char>(cp));
    // The only non-ASCII capitals whose JavaScript lower case contains ASCII letters.
    else if (cp == 0x130) { cur.push_back('i'); flush(); }  // "İ" -> "i" + U+0307
    else if (cp == 0x212A) cur.push_back('k');               // Kelvin sign -> "k"
    else flush();
  });
  flush();
  return out;
}

double round4(double x) noexcept { return js_round(x * 1e4) / 1e4; }

std::shared_ptr<stage_backend> make(std::string_view kind) {
  if (std::find(std::begin(kinds), std::end(kinds), kind) == std::end(kinds)) return nullptr;
  return std::make_shared<stage>(kind);
}

}  // namespace pw::stages::synthetic
