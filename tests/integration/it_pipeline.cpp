// Submit -> completed on the synthetic pipeline, checked against golden
// values computed by the BullMQ anchor's own JavaScript, through the real
// server: REST results, the WebSocket events, status and history.
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "core/json.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;

namespace {

boost::json::array golden() {
  std::ifstream in(PW_TEST_DATA_DIR "/synthetic_golden.json");
  std::stringstream s;
  s << in.rdbuf();
  return boost::json::parse(s.str()).as_array();
}

std::string canonical(const boost::json::value& v) { return pw::core::to_json(v); }

}  // namespace

TEST_CASE("synthetic pipeline: results equal the anchor's golden values, over REST and WebSocket") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice", {"acme"});
  ws_client socket(srv.port(), token, {.since = 0});
  REQUIRE(socket.connected());

  auto cases = golden();
  std::vector<std::string> ids;
  for (const auto& g : cases) ids.push_back(submit(c, token, "acme", std::string(g.at("text").as_string())));
  REQUIRE(wait_terminal(c, token, ids, std::chrono::seconds(20)));

  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto& expected = cases[k].at("results").as_object();
    // ?include=vector: the embed result whole, as the anchor gives it; the
    // default leaves the vector out.
    auto item = get_object(c, "/api/v1/items/" + ids[k] + "?include=vector", token);
    auto lean = get_object(c, "/api/v1/items/" + ids[k], token);
    CHECK_FALSE(lean.at("stages").as_object().at("embed").as_object().at("result").as_object().contains("vector"));
    INFO("item " << ids[k] << ": " << cases[k].at("text").as_string());
    CHECK(item.at("status").as_string() == "completed");
    CHECK(item.at("owner").as_string() == "alice");
    CHECK(item.at("workspace").as_string() == "acme");
    CHECK(item.at("text").as_string() == cases[k].at("text").as_string());
    for (const auto& [stage, value] : expected) {
      const auto& st = item.at("stages").as_object().at(stage).as_object();
      CHECK(st.at("status").as_string() == "completed");
      CHECK(st.at("attempts").as_int64() == 1);
      CHECK(canonical(st.at("result")) == canonical(value));
    }
    // The summary leaves the embedding vector out, and nothing else.
    auto summary = item.at("result").as_object();
    CHECK_FALSE(summary.at("embed").as_object().contains("vector"));
    CHECK(canonical(summary.at("priority")) == canonical(expected.at("priority")));
  }

  // The owner's socket saw every item complete, once, with the same result.
  REQUIRE(socket.wait_for(
      [&](const auto& frames) {
        std::size_t done = 0;
        for (const auto& f : frames) done += f.at("type").as_string() == "item.completed";
        return done == ids.size();
      },
      std::chrono::seconds(10)));
  std::set<std::string> completed;
  std::uint64_t last_seq = 0;
  std::size_t stage_events = 0;
  for (const auto& f : socket.frames()) {
    auto seq = static_cast<std::uint64_t>(f.at("seq").as_int64());
    CHECK(seq == last_seq + 1);  // gap-free, in order
    last_seq = seq;
    if (f.at("type").as_string() == "stage.updated") ++stage_events;
    if (f.at("type").as_string() != "item.completed") continue;
    std::string id(f.at("item_id").as_string());
    CHECK(completed.insert(id).second);
    auto k = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
    REQUIRE(k < ids.size());
    CHECK(f.at("status").as_string() == "completed");
    CHECK(canonical(f.at("result").as_object().at("sentiment")) == canonical(cases[k].at("results").at("sentiment")));
  }
  CHECK(stage_events == ids.size() * 14);  // processing and completed, for 7 stages
}

TEST_CASE("processing status and history tell what happened, in order") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("bob", {"w"});
  auto id = submit(c, token, "w", "The checkout is down, urgent!");
  REQUIRE(wait_terminal(c, token, {id}, std::chrono::seconds(10)));

  auto status = get_object(c, "/api/v1/items/" + id + "/processing-status", token);
  CHECK(status.at("status").as_string() == "completed");
  CHECK(status.at("progress").at("completed").as_int64() == 7);
  CHECK(status.at("errors").as_array().empty());
  CHECK(status.at("duration_ms").as_int64() >= 0);
  CHECK(status.at("stages").as_object().size() == 7);

  auto history = get_object(c, "/api/v1/items/" + id + "/history", token).at("entries").as_array();
  REQUIRE(history.size() == 2 + 7 * 2 + 1);
  CHECK(history.front().at("to").as_string() == "queued");
  CHECK(history[1].at("to").as_string() == "processing");
  CHECK(history.back().at("scope").as_string() == "item");
  CHECK(history.back().at("to").as_string() == "completed");
  std::string previous_at;
  for (const auto& e : history) {
    std::string at(e.at("at").as_string());
    CHECK(at >= previous_at);
    previous_at = at;
  }
  // Each stage: processing before completed.
  for (auto stage : {"embed", "classify", "priority"}) {
    int started = -1, done = -1;
    for (std::size_t i = 0; i < history.size(); ++i) {
      auto* s = history[i].as_object().if_contains("stage");
      if (!s || s->as_string() != stage) continue;
      if (history[i].at("to").as_string() == "processing") started = static_cast<int>(i);
      if (history[i].at("to").as_string() == "completed") done = static_cast<int>(i);
    }
    CHECK(started >= 0);
    CHECK(done > started);
  }
  // priority started only after sentiment and urgency completed.
  auto index_of = [&](const char* stage, const char* to) {
    for (std::size_t i = 0; i < history.size(); ++i) {
      auto* s = history[i].as_object().if_contains("stage");
      if (s && s->as_string() == stage && history[i].at("to").as_string() == to) return static_cast<int>(i);
    }
    return -1;
  };
  CHECK(index_of("priority", "processing") > index_of("sentiment", "completed"));
  CHECK(index_of("priority", "processing") > index_of("urgency", "completed"));
}
