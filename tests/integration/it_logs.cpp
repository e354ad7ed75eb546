// log.format = "json" on a real node: every line is one JSON object, and
// the events that matter carry their item, stage, attempt, duration and error.
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "scrape.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("log.format = json: one JSON object per line, with item, stage, attempt, duration and error") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .section("log", "format = \"json\"\n")
                              .chaos("theme", "permanent_rate = 1.0\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("uma", {"w1"});
  const auto id = submit(c, user, "w1", "a stage fails for good");
  REQUIRE(wait_terminal(c, user, {id}, 10s));
  REQUIRE(srv.terminate(10s) == 0);

  std::istringstream in(srv.log());
  int lines = 0;
  bool listening = false, failed_attempt = false, dead_letter = false, stopped = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    ++lines;
    INFO(line);
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    REQUIRE(!ec);
    REQUIRE(v.is_object());
    const auto& o = v.as_object();
    CHECK(o.at("ts").as_string().size() == 24);
    CHECK(o.contains("level"));
    if (auto* msg = o.if_contains("msg"); msg && msg->as_string().starts_with("listening on http://127.0.0.1:")) listening = true;
    const auto* event = o.if_contains("event");
    if (!event) continue;
    if (event->as_string() == "stage.attempt_failed") {
      failed_attempt = true;
      CHECK(o.at("item").as_string() == id);
      CHECK(o.at("stage").as_string() == "theme");
      CHECK(o.at("attempt").as_int64() == 1);
      CHECK(o.at("outcome").as_string() == "permanent_error");
      CHECK(o.at("duration_ms").is_number());
      CHECK(o.at("error").as_string() == "chaos: injected permanent failure");
    }
    if (event->as_string() == "stage.dead_lettered") {
      dead_letter = true;
      CHECK(o.at("level").as_string() == "warning");
      CHECK(o.at("attempts").as_int64() == 1);
    }
    if (event->as_string() == "node.stopped") {
      stopped = true;
      CHECK(o.at("batches").is_int64());
    }
  }
  CHECK(lines > 5);
  CHECK(listening);
  CHECK(failed_attempt);
  CHECK(dead_letter);
  CHECK(stopped);
}

