// A small Prometheus client: counters, gauges and fixed-bucket histograms,
// grouped in labelled families, and the text exposition format 0.0.4.
// Plain C++ (no actor or network types). Recording is lock-free (relaxed
// atomics); finding a labelled child takes a mutex, so hot paths look their
// children up once and keep the reference (children live as long as the
// registry). A family holds at most `max_series` children: further label
// sets share one child labelled "_overflow", counted by the registry, so a
// bug can never grow memory or a scrape without bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pw::core::metrics {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  // For a counter that mirrors a cumulative source read at scrape time.
  void set(std::uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  void inc() noexcept { add(1); }
  void dec() noexcept { add(-1); }
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Counts per bucket (upper bounds, ascending; +Inf is implicit) and a sum.
struct histogram_snapshot {
  std::vector<double> bounds;         // finite upper bounds
  std::vector<std::uint64_t> counts;  // per bucket (not cumulative), bounds.size() + 1 entries
  double sum = 0;
  std::uint64_t count() const noexcept;
  // this - earlier (same bounds): what was observed in between.
  histogram_snapshot minus(const histogram_snapshot& earlier) const;
  // The q-quantile (0 < q < 1) estimated as Prometheus' histogram_quantile
  // does: linear inside the bucket that holds it (the first bucket starts at
  // 0; a quantile in the +Inf bucket is the highest finite bound). NaN when empty.
  double quantile(double q) const noexcept;
};

class histogram {
 public:
  // `sum_resolution`: the sum is kept as an integer count of this unit
  // (1e-9 for seconds: nanoseconds), so observing never loops on a CAS.
  histogram(std::vector<double> bounds, double sum_resolution);
  void observe(double v) noexcept;
  histogram_snapshot snapshot() const;
  const std::vector<double>& bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  double resolution_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> sum_units_{0};
};

// Bucket layouts used across the node.
std::vector<double> latency_buckets();  // seconds, 50 µs .. 60 s
std::vector<double> size_buckets();     // counts, 1 .. 65536 (powers of 4)

class registry;

template <class Metric>
class family {
 public:
  // The child with these label values (one per label name, in order).
  Metric& with(std::initializer_list<std::string_view> values);
  Metric& with(const std::vector<std::string>& values);
  // The only child of a family without labels.
  Metric& get() { return with(std::initializer_list<std::string_view>{}); }
  const std::string& name() const noexcept { return name_; }

 private:
  friend class registry;
  family(registry& r, std::string name, std::string help, std::vector<std::string> labels, metric_type exposed_as,
         std::size_t max_series, std::vector<double> bounds, double resolution);
  Metric& find(std::vector<std::string> key);
  void write(std::string& out) const;
  std::unique_ptr<Metric> make() const;

  registry& registry_;
  std::string name_, help_;
  std::vector<std::string> labels_;
  metric_type type_;
  std::size_t max_series_;
  std::vector<double> bounds_;  // histograms only
  double resolution_ = 1;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Names and labels are checked once here; a bad one is a bug (throws
  // std::invalid_argument). `exposed_as` lets a gauge-stored value be
  // exposed as a counter (e.g. CPU seconds read at scrape time).
  family<counter>& counters(std::string name, std::string help, std::vector<std::string> labels = {},
                            std::size_t max_series = 256);
  family<gauge>& gauges(std::string name, std::string help, std::vector<std::string> labels = {},
                        std::size_t max_series = 256, metric_type exposed_as = metric_type::gauge);
  family<histogram>& histograms(std::string name, std::string help, std::vector<std::string> labels,
                                std::vector<double> bounds, double sum_resolution = 1e-9,
                                std::size_t max_series = 256);

  // Runs before each exposition (scrape-time values: store, process, ...).
  void on_collect(std::function<void()> fn);
  // The text exposition format 0.0.4, families in registration order.
  std::string expose() const;
  std::uint64_t overflowed() const noexcept { return overflowed_.load(std::memory_order_relaxed); }

 private:
  template <class M>
  friend class family;
  struct entry {
    std::function<void(std::string&)> write;
  };
  void check_name(const std::string& name, const std::vector<std::string>& labels) const;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<family<counter>>> counters_;
  std::vector<std::unique_ptr<family<gauge>>> gauges_;
  std::vector<std::unique_ptr<family<histogram>>> histograms_;
  std::vector<entry> order_;
  std::vector<std::function<void()>> collectors_;
  std::atomic<std::uint64_t> overflowed_{0};
};

// Exposition helpers, exposed for tests.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
std::string format_value(double v);

}  // namespace pw::core::metrics
