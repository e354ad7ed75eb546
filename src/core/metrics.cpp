#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace pw::core::metrics {

namespace {

bool valid_name(std::string_view s, bool colon_ok) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
    if (letter || (i > 0 && c >= '0' && c <= '9')) continue;
    return false;
  }
  return true;
}

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra pair (le for buckets).
void write_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void write_sample(std::string& out, const std::string& name, std::string_view suffix,
                  const std::vector<std::string>& names, const std::vector<std::string>& values, double v,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  write_labels(out, names, values, extra_name, extra_value);
  out += ' ';
  out += format_value(v);
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integers print without an exponent up to 2^53 (counters stay readable).
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

std::uint64_t histogram_snapshot::count() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

histogram_snapshot histogram_snapshot::minus(const histogram_snapshot& earlier) const {
  histogram_snapshot d = *this;
  if (earlier.counts.size() != counts.size()) return d;
  for (std::size_t i = 0; i < counts.size(); ++i) d.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
  d.sum = sum - earlier.sum;
  return d;
}

double histogram_snapshot::quantile(double q) const noexcept {
  const auto total = count();
  if (total == 0 || bounds.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * static_cast<double>(total);
  double seen = 0, lower = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const double in_bucket = static_cast<double>(counts[i]);
    if (in_bucket > 0 && seen + in_bucket >= rank) return lower + (bounds[i] - lower) * ((rank - seen) / in_bucket);
    seen += in_bucket;
    lower = bounds[i];
  }
  return bounds.back();
}

histogram::histogram(std::vector<double> bounds, double sum_resolution)
    : bounds_(std::move(bounds)), resolution_(sum_resolution), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  // Buckets are few (~20): a linear scan beats a binary search here.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  if (v > 0) sum_units_.fetch_add(static_cast<std::uint64_t>(std::llround(v / resolution_)), std::memory_order_relaxed);
}

histogram_snapshot histogram::snapshot() const {
  histogram_snapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  s.sum = static_cast<double>(sum_units_.load(std::memory_order_relaxed)) * resolution_;
  return s;
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,     0.25,   0.5,     1,      2.5,   5,      10,    30,   60};
}

std::vector<double> size_buckets() { return {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536}; }

template <class Metric>
family<Metric>::family(registry& r, std::string name, std::string help, std::vector<std::string> labels,
                       metric_type exposed_as, std::size_t max_series, std::vector<double> bounds, double resolution)
    : registry_(r),
      name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      type_(exposed_as),
      max_series_(std::max<std::size_t>(1, max_series)),
      bounds_(std::move(bounds)),
      resolution_(resolution) {}

template <class Metric>
std::unique_ptr<Metric> family<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, histogram>) return std::make_unique<histogram>(bounds_, resolution_);
  else return std::make_unique<Metric>();
}

template <class Metric>
Metric& family<Metric>::find(std::vector<std::string> key) {
  if (key.size() != labels_.size())
    throw std::invalid_argument(fmt::format("metric {}: {} label values for {} labels", name_, key.size(), labels_.size()));
  std::lock_guard lock(mu_);
  auto it = children_.find(key);
  if (it != children_.end()) return *it->second;
  if (children_.size() >= max_series_) {
    registry_.overflowed_.fetch_add(1, std::memory_order_relaxed);
    key.assign(labels_.size(), "_overflow");
    it = children_.find(key);
    if (it != children_.end()) return *it->second;
  }
  return *children_.emplace(std::move(key), make()).first->second;
}

template <class Metric>
Metric& family<Metric>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (auto v : values) key.emplace_back(v);
  return find(std::move(key));
}

template <class Metric>
Metric& family<Metric>::with(const std::vector<std::string>& values) {
  return find(values);
}

template <class Metric>
void family<Metric>::write(std::string& out) const {
  out += "# HELP " + name_ + ' ' + escape_help(help_) + '\n';
  out += "# TYPE " + name_ + ' ' + type_name(type_) + '\n';
  std::lock_guard lock(mu_);
  for (const auto& [values, m] : children_) {
    if constexpr (std::is_same_v<Metric, histogram>) {
      const auto s = m->snapshot();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < s.bounds.size(); ++i) {
        cumulative += s.counts[i];
        write_sample(out, name_, "_bucket", labels_, values, static_cast<double>(cumulative), "le", format_value(s.bounds[i]));
      }
      cumulative += s.counts.back();
      write_sample(out, name_, "_bucket", labels_, values, static_cast<double>(cumulative), "le", "+Inf");
      write_sample(out, name_, "_sum", labels_, values, s.sum);
      write_sample(out, name_, "_count", labels_, values, static_cast<double>(cumulative));
    } else {
      write_sample(out, name_, "", labels_, values, static_cast<double>(m->value()));
    }
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

void registry::check_name(const std::string& name, const std::vector<std::string>& labels) const {
  if (!valid_name(name, true)) throw std::invalid_argument("metric name '" + name + "' is not valid");
  for (const auto& l : labels)
    if (!valid_name(l, false) || l.rfind("__", 0) == 0 || l == "le")
      throw std::invalid_argument("metric " + name + ": label name '" + l + "' is not valid");
  for (const auto& f : counters_)
    if (f->name() == name) throw std::invalid_argument("metric " + name + " registered twice");
  for (const auto& f : gauges_)
    if (f->name() == name) throw std::invalid_argument("metric " + name + " registered twice");
  for (const auto& f : histograms_)
    if (f->name() == name) throw std::invalid_argument("metric " + name + " registered twice");
}

family<counter>& registry::counters(std::string name, std::string help, std::vector<std::string> labels,
                                    std::size_t max_series) {
  std::lock_guard lock(mu_);
  check_name(name, labels);
  counters_.emplace_back(new family<counter>(*this, std::move(name), std::move(help), std::move(labels),
                                             metric_type::counter, max_series, {}, 1));
  auto* f = counters_.back().get();
  order_.push_back({[f](std::string& out) { f->write(out); }});
  return *f;
}

family<gauge>& registry::gauges(std::string name, std::string help, std::vector<std::string> labels,
                                std::size_t max_series, metric_type exposed_as) {
  std::lock_guard lock(mu_);
  check_name(name, labels);
  gauges_.emplace_back(new family<gauge>(*this, std::move(name), std::move(help), std::move(labels), exposed_as,
                                         max_series, {}, 1));
  auto* f = gauges_.back().get();
  order_.push_back({[f](std::string& out) { f->write(out); }});
  return *f;
}

family<histogram>& registry::histograms(std::string name, std::string help, std::vector<std::string> labels,
                                        std::vector<double> bounds, double sum_resolution, std::size_t max_series) {
  std::lock_guard lock(mu_);
  check_name(name, labels);
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end())
    throw std::invalid_argument("metric " + name + ": bucket bounds must be non-empty and strictly ascending");
  histograms_.emplace_back(new family<histogram>(*this, std::move(name), std::move(help), std::move(labels),
                                                 metric_type::histogram, max_series, std::move(bounds),
                                                 sum_resolution));
  auto* f = histograms_.back().get();
  order_.push_back({[f](std::string& out) { f->write(out); }});
  return *f;
}

void registry::on_collect(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(fn));
}

std::string registry::expose() const {
  std::vector<std::function<void()>> collectors;
  std::vector<entry> order;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
    order = order_;
  }
  for (const auto& c : collectors) c();
  std::string out;
  out.reserve(64 * 1024);
  for (const auto& e : order) e.write(out);
  return out;
}

}  // namespace pw::core::metrics
