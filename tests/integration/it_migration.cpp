// Migration: a store written by the previous layout (format 2, made by the
// server of commit 217b990: tests/data/store-v2/make.py) opens with today's
// server. Everything it held reads back through the API as before (items,
// stage results, history, dead letters, counters, listings, idempotency
// keys, the event log and its seqs), its unfinished items finish, its retry
// timer still waits, and a second start finds nothing to migrate.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

boost::json::object fixture_ids() {
  std::ifstream in(std::string(PW_TEST_DATA_DIR) + "/store-v2/ids.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return boost::json::parse(text).as_object();
}

std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> ids_of(const boost::json::object& page) {
  std::vector<std::string> out;
  for (auto& i : page.at("items").as_array()) out.push_back(str(i.at("id")));
  return out;
}

std::int64_t num(const boost::json::value& v) { return v.to_number<std::int64_t>(); }

constexpr std::int64_t kYearMs = 365LL * 86'400'000;  // the config's maximum for both retentions

// The creation time a ULID carries in its first 10 characters (Crockford base 32).
std::int64_t ulid_ms(const std::string& ulid) {
  static constexpr std::string_view digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::int64_t t = 0;
  for (char ch : ulid.substr(0, 10)) t = t * 32 + static_cast<std::int64_t>(digits.find(ch));
  return t;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// When the fixture's retry timer is due: its history says "retry at +N ms"
// on the entry that made the stage retrying.
std::int64_t retry_due_ms(const boost::json::array& history) {
  for (auto& e : history) {
    const auto& o = e.as_object();
    if (o.contains("to") && o.at("to").is_string() && o.at("to").as_string() == "retrying") {
      const std::string cause(o.at("cause").as_string());
      const std::string at(o.at("at").as_string());
      std::smatch m;
      if (!std::regex_search(cause, m, std::regex(R"(retry at \+(\d+) ms)"))) continue;
      std::tm tm{};
      int ms = 0;
      std::sscanf(at.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms);
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms + std::stoll(m[1]);
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("a store of the previous layout is migrated at start and reads back whole") {
  temp_dir dir;
  std::filesystem::copy(std::string(PW_TEST_DATA_DIR) + "/store-v2/data", dir.file("data"),
                        std::filesystem::copy_options::recursive);
  const auto ids = fixture_ids();
  // The fixture ages with the calendar: remember keys and events as long as
  // the config allows (a year), so the checks below hold for that long.
  server_process srv(dir, config_builder()
                              .section("store", "idempotency_retention_ms = " + std::to_string(kYearMs) +
                                                    "\nevent_max_age_ms = " + std::to_string(kYearMs) + "\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  {
    const std::regex done(R"(event=store\.migration\.done items=(\d+) unreadable=0)");
    std::smatch m;
    const auto log = srv.log();
    REQUIRE(std::regex_search(log, m, done));
    CHECK(m[1] == "15");
  }
  http c(srv.port());
  const auto alice = make_token("alice", {"acme"});
  const auto bob = make_token("bob", {"beta"});
  const auto admin = make_token("root", {"*"}, "admin");

  // Finished items: status, every stage's result, their whole history.
  for (auto& id : ids.at("done").as_array()) {
    auto item = get_object(c, "/api/v1/items/" + str(id), alice);
    CHECK(str(item.at("status")) == "completed");
    for (auto& [stage, st] : item.at("stages").as_object()) {
      INFO(stage);
      CHECK(str(st.at("status")) == "completed");
      CHECK(st.as_object().contains("result"));
    }
    auto history = history_of(c, alice, str(id));
    REQUIRE(history.size() >= 16);
    CHECK(str(history.front().at("cause")) == "accepted");
    CHECK(str(history.back().at("to")) == "completed");
  }
  for (auto& id : ids.at("bob_done").as_array()) CHECK(status_of(c, bob, str(id)) == "completed");
  CHECK(c.get("/api/v1/items/" + str(ids.at("bob_done").as_array()[0]), alice).status == 404);

  // Partial items, their dead letters and the counters.
  for (auto& id : ids.at("partial").as_array()) {
    CHECK(status_of(c, alice, str(id)) == "partial");
    CHECK(stage_statuses(c, alice, str(id))["theme"] == "failed");
  }
  auto dlq = get_object(c, "/api/v1/admin/dlq", admin);
  CHECK(dlq.at("items").as_array().size() == 2);
  CHECK(num(dlq.at("open")) == 2);

  // The retry timer (an hour after the fixture was made) still waits, or,
  // once due, has run the stage again. The cancelled and the paused items
  // stay as they were.
  const auto retrying = str(ids.at("retrying"));
  const auto due = retry_due_ms(history_of(c, alice, retrying));
  REQUIRE(due > 0);
  const bool timer_pending = now_ms() + 60'000 < due;
  if (timer_pending) {
    CHECK(stage_statuses(c, alice, retrying)["classify"] == "retrying");
  } else {
    REQUIRE(wait_terminal(c, alice, {retrying}, 20s));
    CHECK(status_of(c, alice, retrying) == "completed");
    auto h = history_of(c, alice, retrying);
    CHECK(std::any_of(h.begin(), h.end(), [](auto& e) { return e.as_object().at("cause").as_string() == "retry"; }));
  }
  CHECK(status_of(c, bob, str(ids.at("cancelled"))) == "cancelled");
  CHECK(status_of(c, alice, str(ids.at("paused"))) == "paused");

  // What was running or queued when the old node stopped finishes now.
  REQUIRE(wait_terminal(c, alice, {str(ids.at("running"))}, 20s));
  REQUIRE(wait_terminal(c, bob, {str(ids.at("queued"))}, 20s));
  CHECK(status_of(c, alice, str(ids.at("running"))) == "completed");
  CHECK(status_of(c, bob, str(ids.at("queued"))) == "completed");

  const int late = timer_pending ? 0 : 1;  // the retrying item, completed since
  auto queue = get_object(c, "/api/v1/admin/queue", admin);
  CHECK(num(queue.at("completed")) == 5 + 2 + 1 + 2 + late);
  CHECK(num(queue.at("partial")) == 2);
  CHECK(num(queue.at("paused")) == 1);
  CHECK(num(queue.at("cancelled")) == 1);
  CHECK(num(queue.at("processing")) == 1 - late);  // the retrying one
  CHECK(num(queue.at("delayed")) == 1 - late);
  CHECK(num(queue.at("dead")) == 2);
  auto metrics = get_object(c, "/api/v1/workspaces/acme/ai/metrics", alice);
  INFO(boost::json::serialize(metrics));
  CHECK(boost::json::serialize(metrics).find("\"completed\":" + std::to_string(7 + late)) != std::string::npos);

  // Listings from the migrated indexes.
  CHECK(ids_of(get_object(c, "/api/v1/items?workspace=acme&status=partial", alice)).size() == 2);
  CHECK(ids_of(get_object(c, "/api/v1/items?workspace=acme&status=completed", alice)).size() == 7u + late);
  CHECK(ids_of(get_object(c, "/api/v1/items?status=paused", alice)) ==
        std::vector<std::string>{str(ids.at("paused"))});
  CHECK(ids_of(get_object(c, "/api/v1/items?status=cancelled", bob)) ==
        std::vector<std::string>{str(ids.at("cancelled"))});
  CHECK(ids_of(get_object(c, "/api/v1/items?limit=200", alice)).size() == 5 + 1 + 2 + 1 + 1 + 1);
  CHECK(ids_of(get_object(c, "/api/v1/workspaces/acme/ai/failed-items", alice)).size() == 2);

  // The Idempotency-Key of the old store still answers with the same item,
  // or, once the fixture is older than the retention, makes a new one.
  const bool key_remembered = now_ms() - ulid_ms(str(ids.at("idem"))) < kYearMs - 60'000;
  const std::string body =
      R"({"workspace": "acme", "text": "submitted with a key", "title": "t submitted ", "metadata": {"source": "fixture"}})";
  auto replay = c.post("/api/v1/items", body, alice, "application/json", {{"Idempotency-Key", "fixture-key-1"}});
  REQUIRE(replay.status == 201);
  if (key_remembered)
    CHECK(str(replay.json().at("id")) == str(ids.at("idem")));
  else
    CHECK(str(replay.json().at("id")) != str(ids.at("idem")));

  // The event log: everything replays in order, and new events go on from
  // the old last seq.
  ws_client from_start(srv.port(), alice, {.since = 0});
  REQUIRE(from_start.connected());
  std::uint64_t old_last = 0;
  REQUIRE(from_start.wait_for(
      [&](auto& frames) {
        if (frames.empty()) return false;
        old_last = frames.back().at("seq").template to_number<std::uint64_t>();
        return frames.size() >= 50;
      },
      10s));
  std::this_thread::sleep_for(300ms);
  auto frames = from_start.frames();
  for (std::size_t i = 0; i < frames.size(); ++i) CHECK(frames[i].at("seq").to_number<std::uint64_t>() == i + 1);
  old_last = frames.back().at("seq").to_number<std::uint64_t>();
  auto fresh = submit(c, alice, "acme", "after the migration");
  REQUIRE(wait_terminal(c, alice, {fresh}, 10s));
  REQUIRE(from_start.wait_for(
      [&](auto& f) { return f.back().at("type").as_string() == "item.completed" && f.size() > frames.size(); }, 5s));
  CHECK(from_start.frames()[frames.size()].at("seq").to_number<std::uint64_t>() == old_last + 1);

  // A second start: format 3 already, nothing migrated, same answers.
  REQUIRE(srv.terminate(10s) == 0);
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto log = srv.log();
  CHECK(log.find("event=store.migration.start") == log.rfind("event=store.migration.start"));
  http c2(srv.port());
  CHECK(status_of(c2, alice, str(ids.at("done").as_array()[0])) == "completed");
  CHECK(num(get_object(c2, "/api/v1/admin/queue", admin).at("dead")) == 2);
}
