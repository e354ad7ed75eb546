// Supervision: transient failures retried with backoff, permanent ones not,
// exhausted attempts dead-lettered, durable retry timers, timeouts and
// crashing workers.
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;

namespace {

struct entry {
  std::string at, stage, from, to, cause;
  std::int64_t attempt = 0;
};

std::vector<entry> history(http& c, const std::string& token, const std::string& id) {
  std::vector<entry> out;
  const auto doc = get_object(c, "/api/v1/items/" + id + "/history", token);
  for (const auto& v : doc.at("entries").as_array()) {
    const auto& o = v.as_object();
    entry e;
    e.at = std::string(o.at("at").as_string());
    if (auto* s = o.if_contains("stage")) e.stage = std::string(s->as_string());
    if (o.at("from").is_string()) e.from = std::string(o.at("from").as_string());
    e.to = std::string(o.at("to").as_string());
    e.cause = std::string(o.at("cause").as_string());
    if (auto* a = o.if_contains("attempt")) e.attempt = a->as_int64();
    out.push_back(std::move(e));
  }
  return out;
}

// Milliseconds since the epoch of "2026-11-24T16:05:00.576Z".
std::int64_t ms_of(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + std::stoi(iso.substr(20, 3));
}

boost::json::object stage_of(http& c, const std::string& token, const std::string& id, const std::string& stage) {
  return get_object(c, "/api/v1/items/" + id + "/processing-status", token).at("stages").at(stage).as_object();
}

}  // namespace

TEST_CASE("transient failures at 50 %: every item completes - attempts and backoff gaps show in history") {
  temp_dir dir;
  auto cfg = config_builder()
                 .top("[supervision]\n")  // (defaults of the builder already set; stage keys below)
                 .stage("embed", "max_attempts = 20\ninitial_backoff_ms = 20\nmultiplier = 2.0\nmax_backoff_ms = 80\njitter = 0.2\n")
                 .stage("classify", "max_attempts = 20\ninitial_backoff_ms = 20\nmultiplier = 2.0\nmax_backoff_ms = 80\njitter = 0.2\n")
                 .chaos("embed", "seed = 11\ntransient_rate = 0.5\n")
                 .chaos("classify", "seed = 12\ntransient_rate = 0.5\n");
  std::string toml = cfg.str();
  toml.replace(toml.find("[supervision]\n\n"), 15, "");
  server_process srv(dir, toml);
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(submit(c, token, "w", "flaky item " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, ids, std::chrono::seconds(60)));

  std::size_t retried = 0, gaps_checked = 0;
  for (const auto& id : ids) {
    INFO(id);
    REQUIRE(status_of(c, token, id) == "completed");
    auto h = history(c, token, id);
    for (auto stage : {"embed", "classify"}) {
      auto attempts = stage_of(c, token, id, stage).at("attempts").as_int64();
      std::int64_t starts = 0;
      for (std::size_t i = 0; i < h.size(); ++i) {
        if (h[i].stage != stage) continue;
        if (h[i].to == "processing") ++starts;
        if (h[i].to != "retrying") continue;
        CHECK_THAT(h[i].cause, Catch::Contains("transient_error"));
        // The next start of this stage comes after the backoff (±20 % jitter, capped at 80 ms).
        for (std::size_t j = i + 1; j < h.size(); ++j) {
          if (h[j].stage != stage || h[j].to != "processing") continue;
          const double base = std::min(80.0, 20.0 * std::pow(2.0, static_cast<double>(h[i].attempt - 1)));
          const auto gap = ms_of(h[j].at) - ms_of(h[i].at);
          CHECK(gap >= static_cast<std::int64_t>(base * 0.8) - 2);
          CHECK(h[j].attempt == h[i].attempt + 1);
          ++gaps_checked;
          break;
        }
      }
      CHECK(attempts == starts);
      CHECK(attempts <= 20);
      if (attempts > 1) ++retried;
    }
  }
  CHECK(retried > 20);  // at 50 % about 60 of the 120 stage runs needed a retry
  CHECK(gaps_checked > 20);
}

TEST_CASE("a permanent failure is not retried: stage failed, dependents skipped, item partial, dead letter, admins told") {
  temp_dir dir;
  server_process srv(dir, config_builder().stage("classify", "max_attempts = 5\n").chaos("classify", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  const auto admin = make_token("ops", {"*"}, "admin");
  ws_client admins(srv.port(), admin, {.since = 0, .extra_query = "&admins_since=0"});
  ws_client owner(srv.port(), token, {.since = 0});
  REQUIRE(admins.connected());

  auto id = submit(c, token, "w", "this will not classify");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(10)));
  auto status = get_object(c, "/api/v1/items/" + id + "/processing-status", token);
  CHECK(status.at("status").as_string() == "partial");
  const auto& stages = status.at("stages").as_object();
  CHECK(stages.at("classify").at("status").as_string() == "failed");
  CHECK(stages.at("classify").at("attempts").as_int64() == 1);
  CHECK_THAT(std::string(stages.at("classify").at("error").as_string()), Catch::Contains("permanent"));
  CHECK(stages.at("priority").at("status").as_string() == "skipped");
  CHECK(stages.at("priority").at("attempts").as_int64() == 0);
  for (auto ok : {"embed", "sentiment", "urgency", "duplicate", "theme"}) CHECK(stages.at(ok).at("status").as_string() == "completed");
  REQUIRE(status.at("errors").as_array().size() == 2);

  auto dlq = get_object(c, "/api/v1/admin/dlq", admin);
  REQUIRE(dlq.at("items").as_array().size() == 1);
  const auto& letter = dlq.at("items").as_array()[0].as_object();
  CHECK(letter.at("item_id").as_string() == id);
  CHECK(letter.at("stage").as_string() == "classify");
  CHECK(letter.at("owner").as_string() == "alice");
  CHECK(letter.at("attempts").as_array().size() == 1);
  CHECK(letter.at("attempts").as_array()[0].at("outcome").as_string() == "permanent_error");
  CHECK(dlq.at("open").as_int64() == 1);

  CHECK(admins.wait_for(
      [&](const auto& frames) {
        for (const auto& f : frames)
          if (f.at("type").as_string() == "dlq.added" && f.at("item_id").as_string() == id)
            return f.at("room").as_string() == "admins" && f.at("stage").as_string() == "classify";
        return false;
      },
      std::chrono::seconds(5)));
  CHECK(owner.wait_for(
      [&](const auto& frames) {
        for (const auto& f : frames)
          if (f.at("type").as_string() == "item.completed" && f.at("status").as_string() == "partial") return true;
        return false;
      },
      std::chrono::seconds(5)));
  // The owner, not an admin, does not get the admins room.
  for (const auto& f : owner.frames()) CHECK(f.at("type").as_string() != "dlq.added");
  CHECK_THAT(srv.log(), Catch::Contains("event=stage.dead_lettered item=" + id + " stage=classify"));
}

TEST_CASE("attempts run out: the stage fails after max_attempts, everything after it is skipped, the item fails") {
  temp_dir dir;
  server_process srv(dir, config_builder().stage("embed", "max_attempts = 3\n").chaos("embed", "transient_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  ws_client owner(srv.port(), token, {.since = 0});
  auto id = submit(c, token, "w", "never embeds");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(10)));
  auto status = get_object(c, "/api/v1/items/" + id + "/processing-status", token);
  CHECK(status.at("status").as_string() == "failed");
  CHECK(status.at("stages").at("embed").at("attempts").as_int64() == 3);
  CHECK_THAT(std::string(status.at("stages").at("embed").at("error").as_string()), Catch::Contains("attempts exhausted: 3/3"));
  for (auto s : {"classify", "sentiment", "urgency", "duplicate", "theme", "priority"})
    CHECK(status.at("stages").at(s).at("status").as_string() == "skipped");
  auto dlq = get_object(c, "/api/v1/admin/dlq", make_token("ops", {"*"}, "admin"));
  REQUIRE(dlq.at("items").as_array().size() == 1);
  CHECK(dlq.at("items").as_array()[0].at("attempts").as_array().size() == 3);
  CHECK(owner.wait_for(
      [&](const auto& frames) {
        for (const auto& f : frames)
          if (f.at("type").as_string() == "item.failed" && f.at("item_id").as_string() == id)
            return std::string(f.at("error").as_string()).find("embed") != std::string::npos;
        return false;
      },
      std::chrono::seconds(5)));
}

TEST_CASE("a retry due in 3 s survives kill -9 and fires after the restart") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .stage("sentiment", "max_attempts = 3\ninitial_backoff_ms = 3000\nmax_backoff_ms = 5000\njitter = 0.0\n")
                              .chaos("sentiment", "fail_first = 1\nfail_first_effect = \"transient\"\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  std::string id, due;
  {
    http c(srv.port());
    id = submit(c, token, "w", "retry me later");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      auto st = stage_of(c, token, id, "sentiment");
      if (st.at("status").as_string() == "retrying") {
        due = std::string(st.at("next_retry_at").as_string());
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  REQUIRE_FALSE(due.empty());
  const auto killed_at = std::chrono::system_clock::now();
  srv.kill9();
  srv.start();
  REQUIRE(srv.wait_ready());
  // The restart came well before the retry was due, so the timer was rebuilt from the store.
  const auto restarted_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(restarted_ms < ms_of(due) - 1000);
  (void)killed_at;
  http c(srv.port());
  CHECK(status_of(c, token, id) == "processing");
  CHECK(stage_of(c, token, id, "sentiment").at("status").as_string() == "retrying");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(15)));
  CHECK(status_of(c, token, id) == "completed");
  auto h = history(c, token, id);
  bool second_attempt = false;
  for (const auto& e : h)
    if (e.stage == "sentiment" && e.to == "processing" && e.attempt == 2) {
      second_attempt = true;
      CHECK(ms_of(e.at) >= ms_of(due));
    }
  CHECK(second_attempt);
}

TEST_CASE("a hung worker hits the stage timeout and is retried - a worker that throws counts as transient") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .stage("urgency", "timeout_ms = 300\n")
                              .chaos("urgency", "fail_first = 1\nfail_first_effect = \"hang\"\n")
                              .chaos("theme", "fail_first = 2\nfail_first_effect = \"throw\"\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  auto id = submit(c, token, "w", "hang then throw");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(10)));
  CHECK(status_of(c, token, id) == "completed");
  auto urgency = stage_of(c, token, id, "urgency");
  CHECK(urgency.at("attempts").as_int64() == 2);
  auto theme = stage_of(c, token, id, "theme");
  CHECK(theme.at("attempts").as_int64() == 3);
  auto h = history(c, token, id);
  bool timed_out = false;
  int crashes = 0;
  std::string started, retried;
  for (const auto& e : h) {
    if (e.stage == "urgency" && e.to == "processing" && e.attempt == 1) started = e.at;
    if (e.stage == "urgency" && e.to == "retrying") {
      timed_out = e.cause.find("timeout") != std::string::npos && e.cause.find("no answer within 300 ms") != std::string::npos;
      retried = e.at;
    }
    if (e.stage == "theme" && e.to == "retrying") {
      CHECK_THAT(e.cause, Catch::Contains("crashed") && Catch::Contains("injected crash"));
      ++crashes;
    }
  }
  CHECK(timed_out);
  CHECK(ms_of(retried) - ms_of(started) >= 300);
  CHECK(crashes == 2);
}
