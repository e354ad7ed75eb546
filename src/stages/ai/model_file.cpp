#include "stages/ai/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace pw::stages::ai {

namespace {

constexpr std::string_view magic = "PWAIMDL1";
constexpr std::uint32_t no_row = 0xFFFFFFFFu;

class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    auto n = get<std::uint16_t>();
    need(n);
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  template <class T>
  void array(std::vector<T>& out, std::size_t n) {
    if (n > b_.size()) fail("an array is longer than the file");
    need(n * sizeof(T));
    out.resize(n);
    if (n) std::memcpy(out.data(), b_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  bool done() const { return pos_ == b_.size(); }
  [[noreturn]] static void fail(const std::string& what) { throw std::invalid_argument("model file: " + what); }

 private:
  void need(std::size_t n) const {
    if (pos_ + n > b_.size()) fail("truncated at byte " + std::to_string(pos_));
  }
  std::string_view b_;
  std::size_t pos_ = 0;
};

template <class T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}
void put_str(std::string& out, std::string_view s) {
  put<std::uint16_t>(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}
template <class T>
void put_array(std::string& out, const std::vector<T>& v) {
  if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

std::size_t linear_model::index_of(std::string_view cls) const {
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (classes[i] == cls) return i;
  return classes.size();
}

model_file model_file::parse(std::string_view bytes) {
  static_assert(sizeof(float) == 4, "model files hold IEEE float32");
  if (bytes.substr(0, magic.size()) != magic) reader::fail("not a Pipewright model file (bad magic)");
  reader r(bytes.substr(magic.size()));
  model_file f;
  f.version_ = r.str();
  if (r.get<std::uint32_t>() != feature_bits)
    reader::fail("trained for another feature space (feature_bits differs): retrain with tools/ai_train");
  std::vector<std::uint32_t> slots;
  r.array(slots, r.get<std::uint32_t>());
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (slots[i] >= feature_slots || (i && slots[i] <= slots[i - 1])) reader::fail("feature slots not sorted");
  f.slots_ = std::move(slots);
  const auto n_models = r.get<std::uint32_t>();
  for (std::uint32_t k = 0; k < n_models; ++k) {
    linear_model m;
    m.name = r.str();
    const auto nc = r.get<std::uint32_t>();
    if (nc == 0 || nc > 4096) reader::fail("model '" + m.name + "' has " + std::to_string(nc) + " classes");
    for (std::uint32_t c = 0; c < nc; ++c) m.classes.push_back(r.str());
    r.array(m.bias, nc);
    r.array(m.scale, nc);
    r.array(m.weights, f.slots_.size() * nc);
    f.models_.push_back(std::move(m));
  }
  const auto n_params = r.get<std::uint32_t>();
  for (std::uint32_t k = 0; k < n_params; ++k) {
    auto name = r.str();
    f.params_[name] = r.get<float>();
  }
  if (!r.done()) reader::fail("trailing bytes");
  f.index_rows();
  return f;
}

std::string model_file::serialize() const {
  std::string out(magic);
  put_str(out, version_);
  put<std::uint32_t>(out, feature_bits);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(slots_.size()));
  put_array(out, slots_);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(models_.size()));
  for (const auto& m : models_) {
    put_str(out, m.name);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(m.classes.size()));
    for (const auto& c : m.classes) put_str(out, c);
    put_array(out, m.bias);
    put_array(out, m.scale);
    put_array(out, m.weights);
  }
  put<std::uint32_t>(out, static_cast<std::uint32_t>(params_.size()));
  for (const auto& [k, v] : params_) {
    put_str(out, k);
    put<float>(out, v);
  }
  return out;
}

void model_file::index_rows() {
  row_of_.assign(feature_slots, no_row);
  for (std::size_t i = 0; i < slots_.size(); ++i) row_of_[slots_[i]] = static_cast<std::uint32_t>(i);
}

void model_file::set_slots(std::vector<std::uint32_t> sorted_slots) {
  slots_ = std::move(sorted_slots);
  index_rows();
}

void model_file::add_model(std::string name, std::vector<std::string> classes, const std::vector<float>& weights,
                           std::vector<float> bias) {
  linear_model m;
  m.name = std::move(name);
  m.classes = std::move(classes);
  m.bias = std::move(bias);
  const std::size_t nc = m.classes.size();
  m.scale.assign(nc, 0.0f);
  for (std::size_t r = 0; r < slots_.size(); ++r)
    for (std::size_t c = 0; c < nc; ++c) m.scale[c] = std::max(m.scale[c], std::fabs(weights[r * nc + c]));
  for (auto& s : m.scale) s = s > 0 ? s / 127.0f : 1.0f;
  m.weights.resize(slots_.size() * nc);
  for (std::size_t r = 0; r < slots_.size(); ++r)
    for (std::size_t c = 0; c < nc; ++c)
      m.weights[r * nc + c] = static_cast<std::int8_t>(std::lround(std::clamp(weights[r * nc + c] / m.scale[c], -127.0f, 127.0f)));
  models_.push_back(std::move(m));
}

const linear_model* model_file::model(std::string_view name) const {
  for (const auto& m : models_)
    if (m.name == name) return &m;
  return nullptr;
}

float model_file::param(std::string_view name, float fallback) const {
  auto it = params_.find(name);
  return it == params_.end() ? fallback : it->second;
}

model_file::row_vector model_file::rows_of(const sparse_vector& x) const {
  row_vector rows;
  rows.reserve(x.entries.size());
  for (const auto& [slot, value] : x.entries)
    if (const std::uint32_t r = row_of_[slot]; r != no_row) rows.emplace_back(r, value);
  return rows;
}

std::vector<float> model_file::decision(const linear_model& m, const row_vector& x) const {
  const std::size_t nc = m.classes.size();
  std::vector<float> acc(nc, 0.0f);
  float* a = acc.data();
  for (const auto& [r, value] : x) {
    const std::int8_t* w = &m.weights[static_cast<std::size_t>(r) * nc];
    for (std::size_t c = 0; c < nc; ++c) a[c] += value * static_cast<float>(w[c]);
  }
  for (std::size_t c = 0; c < nc; ++c) acc[c] = acc[c] * m.scale[c] + m.bias[c];
  return acc;
}

std::vector<float> model_file::probabilities(const linear_model& m, const row_vector& x) const {
  auto d = decision(m, x);
  if (d.size() == 1) return {1.0f};
  float sum = 0;
  for (auto& v : d) sum += (v = 1.0f / (1.0f + std::exp(-v)));
  for (auto& v : d) v = sum > 0 ? v / sum : 1.0f / static_cast<float>(d.size());
  return d;
}

}  // namespace pw::stages::ai
