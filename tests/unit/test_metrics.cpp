// The metrics mechanism (src/core/metrics*.cpp, node_metrics): values,
// the exposition text, label escaping, bounded series, quantiles, the
// last-minute windows, and the node's hooks as the JSON report shows them.
#include <cmath>
#include <thread>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/metrics_window.hpp"
#include "core/node_metrics.hpp"
#include "core/process_stats.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

using namespace pw::core;
using namespace pw::core::metrics;
using namespace std::chrono_literals;

TEST_CASE("metrics: the exposition text of counters, gauges and histograms") {
  registry r;
  auto& c = r.counters("x_requests_total", "Requests\nserved \\ counted", {"route", "status"});
  c.with({"/a", "200"}).inc(3);
  c.with({"/a\"b\\c\nd", "500"}).inc();
  r.gauges("x_depth", "Depth").get().set(2.5);
  auto& h = r.histograms("x_seconds", "Latency", {}, {0.1, 1}).get();
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);
  const std::string expected =
      "# HELP x_requests_total Requests\\nserved \\\\ counted\n"
      "# TYPE x_requests_total counter\n"
      "x_requests_total{route=\"/a\",status=\"200\"} 3\n"
      "x_requests_total{route=\"/a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"
      "# HELP x_depth Depth\n"
      "# TYPE x_depth gauge\n"
      "x_depth 2.5\n"
      "# HELP x_seconds Latency\n"
      "# TYPE x_seconds histogram\n"
      "x_seconds_bucket{le=\"0.1\"} 1\n"
      "x_seconds_bucket{le=\"1\"} 3\n"
      "x_seconds_bucket{le=\"+Inf\"} 4\n"
      "x_seconds_sum 8.05\n"
      "x_seconds_count 4\n";
  CHECK(r.expose() == expected);
}

TEST_CASE("metrics: a family holds a bounded number of series, the rest share _overflow") {
  registry r;
  auto& f = r.counters("y_total", "Y", {"who"}, 2);
  f.with({"a"}).inc();
  f.with({"b"}).inc();
  for (int i = 0; i < 100; ++i) f.with({"user" + std::to_string(i)}).inc();
  const auto text = r.expose();
  CHECK(text.find("y_total{who=\"_overflow\"} 100\n") != std::string::npos);
  CHECK(text.find("user") == std::string::npos);
  CHECK(r.overflowed() == 100);
  // The same child is found again, not duplicated.
  CHECK(&f.with({"a"}) == &f.with({"a"}));
}

TEST_CASE("metrics: bad names, labels and buckets are refused at registration") {
  registry r;
  CHECK_THROWS_AS(r.counters("9bad", "h"), std::invalid_argument);
  CHECK_THROWS_AS(r.counters("bad-name", "h"), std::invalid_argument);
  CHECK_THROWS_AS(r.counters("ok_total", "h", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(r.histograms("h_seconds", "h", {"le"}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(r.histograms("h2_seconds", "h", {}, {1, 1}), std::invalid_argument);
  r.gauges("dup", "h");
  CHECK_THROWS_AS(r.counters("dup", "h"), std::invalid_argument);
  auto& f = r.counters("two_total", "h", {"a", "b"});
  CHECK_THROWS_AS(f.with({"only one"}), std::invalid_argument);
}

TEST_CASE("metrics: values print as Prometheus reads them") {
  CHECK(format_value(3) == "3");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(5e-05) == "5e-05");
  CHECK(format_value(std::nan("")) == "NaN");
  CHECK(format_value(INFINITY) == "+Inf");
  CHECK(format_value(1e20) == "1e+20");
}

TEST_CASE("metrics: quantiles interpolate inside the bucket, like histogram_quantile") {
  histogram h({1, 2, 4}, 1e-9);
  CHECK(std::isnan(h.snapshot().quantile(0.5)));
  for (int i = 0; i < 50; ++i) h.observe(0.5);  // bucket (0, 1]
  for (int i = 0; i < 50; ++i) h.observe(3);    // bucket (2, 4]
  auto s = h.snapshot();
  CHECK(s.count() == 100);
  CHECK(s.quantile(0.5) == Approx(1.0));
  CHECK(s.quantile(0.25) == Approx(0.5));
  CHECK(s.quantile(0.75) == Approx(3.0));
  CHECK(s.quantile(0.99) == Approx(2 + 2 * 0.98));
  h.observe(100);  // +Inf bucket: the highest finite bound
  CHECK(h.snapshot().quantile(0.999) == Approx(4));
  CHECK(h.snapshot().sum == Approx(50 * 0.5 + 50 * 3 + 100));
}

TEST_CASE("metrics: the last-minute window forgets what is older than its span") {
  histogram h(latency_buckets(), 1e-9);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  histogram_window w(h, 60s, t0);
  for (int i = 0; i < 10; ++i) h.observe(1.0);  // slow, early
  for (int s = 5; s <= 60; s += 5) w.tick(t0 + std::chrono::seconds(s));
  for (int i = 0; i < 30; ++i) h.observe(0.001);  // fast, recent
  // Young window (< span since start): everything.
  CHECK(w.recent(t0 + 30s).count() == 40);
  w.tick(t0 + 65s);
  w.tick(t0 + 70s);
  // At t0+70 the base is the snapshot at t0+10: the slow ones are out.
  auto recent = w.recent(t0 + 70s);
  CHECK(recent.count() == 30);
  CHECK(recent.quantile(0.99) <= 0.001);
}

TEST_CASE("metrics: windowed max keeps the largest recent value, then decays") {
  windowed_max m;
  const auto t0 = std::chrono::steady_clock::time_point{} + 10000s;
  m.observe(3, t0);
  m.observe(9, t0 + 1s);
  m.observe(4, t0 + 2s);
  CHECK(m.value(t0 + 3s) == 9);
  CHECK(m.value(t0 + 12s) == 9);  // the previous window still counts
  CHECK(m.value(t0 + 25s) == 0);  // two windows later: gone
}

TEST_CASE("metrics: concurrent recording loses nothing") {
  registry r;
  auto& c = r.counters("z_total", "z").get();
  auto& h = r.histograms("z_seconds", "z", {}, {0.5}).get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.inc();
        h.observe(0.25);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(c.value() == 400000);
  CHECK(h.snapshot().count() == 400000);
  CHECK(h.snapshot().sum == Approx(100000.0));
}

TEST_CASE("node metrics: hooks show in the exposition and in the JSON report") {
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::nullopt, {});
  REQUIRE(cfg);
  const auto& pipe = cfg->pipelines.at("feedback");
  node_metrics m(cfg->pipelines, "test");
  const auto embed = *pipe.index_of("embed");
  const auto theme = *pipe.index_of("theme");
  m.stage_attempt(pipe, embed, attempt_outcome::completed, 0.002);
  m.stage_attempt(pipe, theme, attempt_outcome::transient_error, 0.004);
  m.stage_attempt(pipe, theme, attempt_outcome::completed, 0.003);
  step retry;
  retry.retry.push_back(theme);
  item_state state;
  state.status = item_status::processing;
  m.record_step(pipe, retry, state);
  step done;
  done.finished = true;
  state.status = item_status::completed;
  state.started_at_ms = 1000;
  state.completed_at_ms = 1250;
  m.record_step(pipe, done, state);
  m.actor_message(actor_kind::admission, 7, 0.0001);
  m.ws_opened(true);
  m.ws_frame_sent(node_metrics::now_ns() - 2'000'000, node_metrics::now_ns());
  m.http_request("GET", "/api/v1/items/{id}", 200, 0.001);
  runtime_figures f;
  f.ready = true;
  f.items_by_status[3] = 12;  // completed
  f.dlq_open = 2;
  m.set_runtime(f);

  const auto text = m.expose();
  CHECK(text.find("pw_stage_attempts_total{pipeline=\"feedback\",stage=\"theme\",backend=\"builtin\",outcome=\"transient_error\"} 1\n") != std::string::npos);
  CHECK(text.find("pw_stage_retries_total{pipeline=\"feedback\",stage=\"theme\"} 1\n") != std::string::npos);
  CHECK(text.find("pw_items_finished_total{pipeline=\"feedback\",status=\"completed\"} 1\n") != std::string::npos);
  CHECK(text.find("pw_item_duration_seconds_sum{pipeline=\"feedback\"} 0.25\n") != std::string::npos);
  CHECK(text.find("pw_items{status=\"completed\"} 12\n") != std::string::npos);
  CHECK(text.find("pw_dlq_open 2\n") != std::string::npos);
  CHECK(text.find("pw_http_requests_total{method=\"GET\",route=\"/api/v1/items/{id}\",status=\"200\"} 1\n") != std::string::npos);
  CHECK(text.find("pw_event_commit_to_socket_seconds_count 1\n") != std::string::npos);
  CHECK(text.find("pw_actor_mailbox_depth_max{kind=\"admission\"} 7\n") != std::string::npos);
  CHECK(text.find("process_resident_memory_bytes ") != std::string::npos);
  CHECK(m.stats_subscribers() == 1);

  m.tick(std::chrono::steady_clock::now());
  auto report = boost::json::parse(m.report_json(std::chrono::steady_clock::now())).as_object();
  CHECK(report.at("node").at("ready").as_bool());
  CHECK(report.at("queue").at("dead").as_int64() == 2);
  CHECK(report.at("finished").at("completed").as_int64() == 1);
  const auto& stages = report.at("stages").as_array();
  // Every stage of every pipeline (the built-in config has feedback and asset).
  std::size_t total = 0, of_feedback = 0;
  for (const auto& [name, p] : cfg->pipelines) total += p.size();
  for (const auto& s : stages) of_feedback += s.at("pipeline").as_string() == "feedback";
  REQUIRE(stages.size() == total);
  REQUIRE(of_feedback == pipe.size());
  bool saw_theme = false;
  for (const auto& s : stages) {
    if (s.at("pipeline").as_string() != "feedback" || s.at("stage").as_string() != "theme") continue;
    saw_theme = true;
    CHECK(s.at("attempts").at("transient_error").as_int64() == 1);
    CHECK(s.at("retries").as_int64() == 1);
    CHECK(s.at("last_minute").at("count").as_int64() == 2);
    CHECK(s.at("last_minute").at("p50_ms").to_number<double>() > 1.0);
  }
  CHECK(saw_theme);
  CHECK(report.at("commit_to_socket").at("last_minute").at("count").as_int64() == 1);
  CHECK(report.at("commit_to_socket").at("last_minute").at("p50_ms").to_number<double>() >= 1.0);
  CHECK(report.at("actors").at("kinds").at("admission").at("mailbox_depth_max").as_int64() == 7);
}

TEST_CASE("process stats: this process has memory, CPU time and descriptors") {
  auto p = read_process_stats();
  REQUIRE(p);
  CHECK(p->resident_bytes > 1'000'000);
  CHECK(p->open_fds >= 3);
  CHECK(p->threads >= 1);
  CHECK(p->start_time_seconds > 1.6e9);
}
