// The provider's gate: a 429 storm is waited out (Retry-After honoured, the
// calls retried by the gate, not counted as attempts) while the request rate
// measured at the provider stays within requests_per_minute; max_concurrency
// bounds the calls in flight; a slow provider does not slow the builtin
// stages of the same items (nothing blocks a scheduler thread), measured.
#include <algorithm>
#include <iostream>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "core/clock.hpp"
#include "config.hpp"
#include "fake_provider.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

std::string sentiment_on_provider(const fake_provider& fake, const std::string& provider_keys) {
  return config_builder()
      .backend("builtin")
      .top("[providers.openai]\nbase_url = \"" + fake.http_url() + "\"\napi_key_env = \"\"\n" + provider_keys)
      .top("[actors]\nmax_active_per_workspace = 0\n")
      .stage_backend("sentiment", "http")
      .stage("sentiment", "timeout_ms = 120000\n")
      .str();
}

std::vector<std::int64_t> times_of(const boost::json::object& stats, const char* key) {
  std::vector<std::int64_t> out;
  for (const auto& v : stats.at(key).as_array()) out.push_back(v.as_int64());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> submit_n(http& c, const std::string& token, int n, const std::string& text) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(submit(c, token, "acme", text + " #" + std::to_string(i)));
  return ids;
}

// When a stage of the item completed, in ms after the item was accepted.
std::int64_t completed_after(http& c, const std::string& token, const std::string& id, const std::string& stage) {
  auto h = history_of(c, token, id);
  std::int64_t accepted = -1, done = -1;
  for (const auto& v : h) {
    const auto& e = v.as_object();
    auto at = pw::core::parse_iso8601(std::string(e.at("at").as_string()));
    if (e.at("scope").as_string() == "item" && e.at("to").as_string() == "queued" && accepted < 0) accepted = at;
    if (e.at("scope").as_string() == "stage" && e.at("stage").as_string() == stage && e.at("to").as_string() == "completed") done = at;
  }
  return accepted >= 0 && done >= 0 ? done - accepted : -1;
}

}  // namespace

TEST_CASE("a 429 storm: Retry-After is honoured and the request rate stays within the gate") {
  fake_provider fake;
  temp_dir dir;
  // 300 requests a minute: 5 a second, a second's worth (5) of burst.
  server_process srv(dir, sentiment_on_provider(fake, "requests_per_minute = 300\nmax_concurrency = 4\nrate_limit_retries = 20\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  fake.control(R"({"storm_ms": 2500, "storm_retry_after_s": 1})");
  auto ids = submit_n(c, token, 40, "The export button does nothing");
  REQUIRE(wait_terminal(c, token, ids, 60s));
  for (const auto& id : ids) {
    CHECK(status_of(c, token, id) == "completed");
    CHECK(runs_of(history_of(c, token, id), "sentiment") == 1);  // the gate retried the 429s, not the supervisor
  }
  auto stats = fake.stats();
  auto calls = times_of(stats, "model_call_times_ms");
  auto limited = times_of(stats, "rate_limited_times_ms");
  REQUIRE(limited.size() >= 2);
  REQUIRE(calls.size() >= 40 + limited.size());
  // Within any second: the bucket's capacity plus a second's refill.
  std::size_t worst = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto end = std::lower_bound(calls.begin(), calls.end(), calls[i] + 1000);
    worst = std::max(worst, static_cast<std::size_t>(end - (calls.begin() + static_cast<std::ptrdiff_t>(i))));
  }
  const double seconds = static_cast<double>(calls.back() - calls.front()) / 1000.0;
  const double rate = static_cast<double>(calls.size() - 1) / seconds;
  std::cout << "429 storm: " << calls.size() << " calls (" << limited.size() << " answered 429) over " << seconds
            << " s: " << rate << " calls/s, at most " << worst << " in any second (gate: 5/s, burst 5)\n";
  CHECK(worst <= 11);
  CHECK(rate <= 5.5);
  // After each 429, the gate waits the second the provider asked for (calls
  // already on their way may still arrive within 100 ms).
  for (auto t : limited) {
    auto next = std::upper_bound(calls.begin(), calls.end(), t + 100);
    if (next != calls.end()) CHECK(*next >= t + 900);
  }
}

TEST_CASE("max_concurrency bounds the calls in flight at the provider") {
  fake_provider fake;
  fake.control(R"({"delay_ms": 300})");
  temp_dir dir;
  server_process srv(dir, sentiment_on_provider(fake, "requests_per_minute = 0\ntokens_per_minute = 0\nmax_concurrency = 3\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  auto ids = submit_n(c, token, 12, "Please add dark mode");
  REQUIRE(wait_terminal(c, token, ids, 60s));
  CHECK(fake.stats().at("max_in_flight").as_int64() == 3);
}

TEST_CASE("a slow provider leaves the builtin stages' latency unaffected") {
  fake_provider fake;
  fake.control(R"({"delay_ms": 1000})");
  temp_dir dir;
  server_process srv(dir, sentiment_on_provider(fake, "requests_per_minute = 0\ntokens_per_minute = 0\nmax_concurrency = 2\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  auto ids = submit_n(c, token, 20, "The checkout page times out");
  REQUIRE(wait_terminal(c, token, ids, 60s));
  std::vector<std::int64_t> builtin, provider;
  for (const auto& id : ids) {
    CHECK(status_of(c, token, id) == "completed");
    for (auto stage : {"embed", "classify", "urgency", "duplicate", "theme"}) builtin.push_back(completed_after(c, token, id, stage));
    provider.push_back(completed_after(c, token, id, "sentiment"));
  }
  std::sort(builtin.begin(), builtin.end());
  std::sort(provider.begin(), provider.end());
  const auto p50 = builtin[builtin.size() / 2], p99 = builtin[builtin.size() * 99 / 100], worst = builtin.back();
  std::cout << "slow provider (1 s a call, 2 at once, 20 items): builtin stages completed " << p50 << " ms (p50), " << p99
            << " ms (p99), " << worst << " ms (max) after acceptance; the provider's stage " << provider.front() << " to "
            << provider.back() << " ms\n";
  REQUIRE(builtin.front() >= 0);
  // The provider's stage really queued behind the gate: ~10 s for the last item.
  CHECK(provider.back() >= 8000);
  // Blocking a scheduler thread on the provider would hold builtin stages for
  // seconds; they finish as if it were not there.
  CHECK(worst < 1000);
}
