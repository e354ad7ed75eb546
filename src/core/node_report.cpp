// node_metrics at scrape time: figures from the runtime, the store and
// /proc into gauges, the exposition, and the JSON report of the admin API.
#include <cmath>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/node_metrics.hpp"
#include "core/node_metrics_impl.hpp"
#include "core/process_stats.hpp"
#include "core/status.hpp"

namespace pw::core {

namespace {

// A duration in ms, rounded to µs; null when unknown.
void append_ms(std::string& out, double seconds) {
  if (std::isnan(seconds) || seconds < 0) {
    out += "null";
    return;
  }
  append_json_number(out, std::round(seconds * 1e6) / 1e3);
}

void append_quantiles(std::string& out, const metrics::histogram_snapshot& s) {
  fmt::format_to(std::back_inserter(out), "{{\"count\":{},\"p50_ms\":", s.count());
  append_ms(out, s.quantile(0.5));
  out += ",\"p95_ms\":";
  append_ms(out, s.quantile(0.95));
  out += ",\"p99_ms\":";
  append_ms(out, s.quantile(0.99));
  out += '}';
}

}  // namespace

void node_metrics::set_runtime(const runtime_figures& f) {
  auto& s = *scraped_;
  for (std::size_t i = 0; i < s.items.size(); ++i) s.items[i]->set(static_cast<double>(f.items_by_status[i]));
  s.waiting->set(static_cast<double>(f.waiting));
  s.active->set(static_cast<double>(f.active));
  s.delayed->set(static_cast<double>(f.delayed));
  s.oldest_waiting->set(f.oldest_waiting_s);
  s.dlq_open->set(static_cast<double>(f.dlq_open));
  s.alive[static_cast<std::size_t>(actor_kind::admission)]->set(1);
  s.alive[static_cast<std::size_t>(actor_kind::supervisor)]->set(static_cast<double>(f.active));
  s.alive[static_cast<std::size_t>(actor_kind::worker)]->set(static_cast<double>(f.workers));
  s.actors_running->set(static_cast<double>(f.actors_running));
  s.timers_pending->set(static_cast<double>(f.timers_pending));
  s.ready->set(f.ready ? 1 : 0);
  s.draining->set(f.draining ? 1 : 0);
  s.store_healthy->set(f.store_healthy ? 1 : 0);
  s.batches->set(f.batches);
  s.write_sets->set(f.write_sets);
  s.keys->set(f.keys);
  s.bytes->set(f.bytes);
  s.write_failures->set(f.write_failures);
  std::lock_guard lock(figures_mu_);
  runtime_ = f;
}

void node_metrics::set_rocksdb(const rocksdb_figures& f) {
  auto& s = *scraped_;
  s.write_stopped->set(f.write_stopped ? 1 : 0);
  s.delayed_write_rate->set(static_cast<double>(f.delayed_write_rate));
  s.stall_seconds->set(static_cast<double>(f.stall_micros) * 1e-6);
  s.pending_compaction->set(static_cast<double>(f.pending_compaction_bytes));
  s.sst->set(static_cast<double>(f.sst_bytes));
  s.live_sst->set(static_cast<double>(f.live_sst_bytes));
  s.wal->set(static_cast<double>(f.wal_bytes));
  s.memtable->set(static_cast<double>(f.memtable_bytes));
  s.cache_usage->set(static_cast<double>(f.block_cache_usage));
  s.cache_capacity->set(static_cast<double>(f.block_cache_capacity));
  s.cache_hits->set(f.block_cache_hits);
  s.cache_misses->set(f.block_cache_misses);
  s.compactions->set(static_cast<double>(f.running_compactions));
  s.flushes->set(static_cast<double>(f.running_flushes));
  std::lock_guard lock(figures_mu_);
  rocksdb_ = f;
}

void node_metrics::tick(clock::time_point now) {
  for (auto& [p, series] : stages_)
    for (auto& s : series) s->window->tick(now);
  for (auto& [name, d] : item_durations_) d.second->tick(now);
  for (auto& a : actors_) a->window->tick(now);
  commit_to_socket_window_->tick(now);
}

std::string node_metrics::expose() {
  auto& s = *scraped_;
  const auto now = clock::now();
  const auto ns = now_ns();
  for (std::size_t k = 0; k < actor_kind_count; ++k) {
    s.mailbox_max[k]->set(static_cast<double>(actors_[k]->depth.value(now)));
    if (s.oldest_age[k]) s.oldest_age[k]->set(std::max(0.0, actors_[k]->oldest_age_s(ns)));
  }
  if (auto p = read_process_stats()) {
    s.cpu->set(p->cpu_seconds);
    s.rss->set(static_cast<double>(p->resident_bytes));
    s.vsz->set(static_cast<double>(p->virtual_bytes));
    s.fds->set(static_cast<double>(p->open_fds));
    s.max_fds->set(static_cast<double>(p->max_fds));
    s.threads->set(static_cast<double>(p->threads));
    s.start_time->set(p->start_time_seconds);
  }
  s.overflow->set(reg_.overflowed());
  return reg_.expose();
}

void node_metrics::append_actors(std::string& out, clock::time_point now) const {
  const auto ns = now_ns();
  runtime_figures f;
  {
    std::lock_guard lock(figures_mu_);
    f = runtime_;
  }
  fmt::format_to(std::back_inserter(out), "\"actors\":{{\"running\":{},\"timers_pending\":{},\"kinds\":{{",
                 f.actors_running, f.timers_pending);
  for (std::size_t k = 0; k < actor_kind_count; ++k) {
    const auto kind = static_cast<actor_kind>(k);
    const auto& a = *actors_[k];
    std::int64_t alive = 1;
    if (kind == actor_kind::supervisor) alive = f.active;
    if (kind == actor_kind::worker) alive = f.workers;
    if (k) out += ',';
    fmt::format_to(std::back_inserter(out), "\"{}\":{{\"alive\":{},\"messages\":{},\"mailbox_depth_max\":{},", to_string(kind),
                   alive, a.messages->value(), a.depth.value(now));
    out += "\"oldest_message_age_ms\":";
    append_ms(out, a.wait ? a.oldest_age_s(ns) : -1.0);
    out += ",\"processing_last_minute\":";
    append_quantiles(out, a.window->recent(now));
    out += '}';
  }
  out += "}}";
}

void node_metrics::append_stages(std::string& out, clock::time_point now) const {
  out += "\"stages\":[";
  bool first = true;
  for (const auto& [p, series] : stages_) {
    for (const auto& s : series) {
      if (!first) out += ',';
      first = false;
      out += "{\"pipeline\":";
      append_json_string(out, s->pipeline);
      out += ",\"stage\":";
      append_json_string(out, s->stage);
      out += ",\"backend\":";
      append_json_string(out, s->backend);
      fmt::format_to(std::back_inserter(out), ",\"workers\":{},\"retries\":{},\"dead_letters\":{},\"attempts\":{{",
                     static_cast<std::int64_t>(s->workers->value()), s->retries->value(), s->dead->value());
      bool first_outcome = true;
      for (auto o : counted_outcomes) {
        if (!first_outcome) out += ',';
        first_outcome = false;
        fmt::format_to(std::back_inserter(out), "\"{}\":{}", to_string(o), s->attempts[static_cast<std::size_t>(o)]->value());
      }
      out += "},\"last_minute\":";
      append_quantiles(out, s->window->recent(now));
      out += '}';
    }
  }
  out += ']';
}

std::string node_metrics::report_json(clock::time_point now) {
  runtime_figures f;
  rocksdb_figures r;
  {
    std::lock_guard lock(figures_mu_);
    f = runtime_;
    r = rocksdb_;
  }
  std::string out = "{\"at\":";
  append_json_string(out, iso8601(now_ms()));
  out += ",\"version\":";
  append_json_string(out, version_);
  fmt::format_to(std::back_inserter(out), ",\"uptime_s\":{}",
                 std::chrono::duration_cast<std::chrono::seconds>(now - started_).count());
  const auto p = read_process_stats().value_or(process_stats{});
  fmt::format_to(std::back_inserter(out),
                 ",\"node\":{{\"ready\":{},\"draining\":{},\"store_healthy\":{},\"rss_bytes\":{},\"cpu_seconds\":",
                 f.ready, f.draining, f.store_healthy, p.resident_bytes);
  append_json_number(out, std::round(p.cpu_seconds * 100) / 100);
  fmt::format_to(std::back_inserter(out), ",\"open_fds\":{},\"threads\":{},\"write_stopped\":{},\"pending_compaction_bytes\":{}}}",
                 p.open_fds, p.threads, r.write_stopped, r.pending_compaction_bytes);
  fmt::format_to(std::back_inserter(out), ",\"queue\":{{\"waiting\":{},\"active\":{},\"delayed\":{},\"dead\":{},\"oldest_waiting_s\":",
                 f.waiting, f.active, f.delayed, f.dlq_open);
  append_json_number(out, std::round(f.oldest_waiting_s * 1000) / 1000);
  out += "},\"items\":{";
  for (std::size_t i = 0; i < std::size(all_item_statuses); ++i)
    fmt::format_to(std::back_inserter(out), "{}\"{}\":{}", i ? "," : "", to_string(all_item_statuses[i]), f.items_by_status[i]);
  std::uint64_t accepted = 0;
  for (const auto& [pipe, c] : accepted_) accepted += c->value();
  fmt::format_to(std::back_inserter(out), "}},\"accepted\":{},\"finished\":{{", accepted);
  bool first = true;
  for (auto st : {item_status::completed, item_status::partial, item_status::failed, item_status::cancelled}) {
    std::uint64_t n = 0;
    for (const auto& [pipe, by_status] : finished_by_status_) n += by_status.at(std::string(to_string(st)))->value();
    fmt::format_to(std::back_inserter(out), "{}\"{}\":{}", first ? "" : ",", to_string(st), n);
    first = false;
  }
  out += "},\"item_duration_last_minute\":{";
  first = true;
  for (const auto& [name, d] : item_durations_) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, name);
    out += ':';
    append_quantiles(out, d.second->recent(now));
  }
  out += "},";
  append_actors(out, now);
  out += ',';
  append_stages(out, now);
  fmt::format_to(std::back_inserter(out), ",\"websockets\":{{\"open\":{},\"frames_sent\":{},\"frames_dropped\":{}}}",
                 static_cast<std::int64_t>(ws_connections_->value()), ws_frames_sent_->value(), ws_frames_dropped_->value());
  out += ",\"commit_to_socket\":{\"total\":";
  append_quantiles(out, commit_to_socket_->snapshot());
  out += ",\"last_minute\":";
  append_quantiles(out, commit_to_socket_window_->recent(now));
  fmt::format_to(std::back_inserter(out), "}},\"store\":{{\"batches\":{},\"write_sets\":{},\"keys\":{},\"bytes\":{}}}}}",
                 f.batches, f.write_sets, f.keys, f.bytes);
  return out;
}

}  // namespace pw::core
