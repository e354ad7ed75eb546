// SIGTERM under load: intake stops (503 DRAINING), in-flight stages finish
// or park durably, the process exits 0 within 10 s, and a restart finishes
// everything that was accepted.
#include <atomic>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;

TEST_CASE("SIGTERM under load exits 0 within 10 s, then a restart finishes what was left") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .top("[server]\ndrain_timeout_ms = 2000\n[actors]\nmax_active = 64\n")
                              .chaos("embed", "latency = \"uniform\"\nlatency_min_ms = 5\nlatency_max_ms = 50\n")
                              .chaos("classify", "latency = \"uniform\"\nlatency_min_ms = 5\nlatency_max_ms = 50\n")
                              // Every first theme attempt hangs far past the drain deadline:
                              // shutdown must park them, not wait for them.
                              .stage("theme", "timeout_ms = 60000\n")
                              .chaos("theme", "fail_first = 1\nfail_first_effect = \"hang\"\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  std::mutex mu;
  std::vector<std::string> accepted;
  std::atomic<bool> stop{false};
  std::atomic<int> draining_answers{0}, other_refusals{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t)
    load.emplace_back([&, t] {
      http c(srv.port());
      for (int k = 0; !stop; ++k) {
        auto r = c.post("/api/v1/items", item_body("w", "load " + std::to_string(t) + "/" + std::to_string(k)), token);
        if (r.status == 201) {
          std::lock_guard lock(mu);
          accepted.push_back(std::string(r.json().as_object().at("id").as_string()));
        } else if (r.status == 503 && r.error_code() == "DRAINING") {
          ++draining_answers;
        } else if (r.status == 0) {
          return;  // closed
        } else {
          ++other_refusals;
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const auto t0 = std::chrono::steady_clock::now();
  auto code = srv.terminate(std::chrono::seconds(10));
  const auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  for (auto& t : load) t.join();
  INFO(srv.log().substr(srv.log().size() > 3000 ? srv.log().size() - 3000 : 0));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(took < std::chrono::seconds(10));
  CHECK(other_refusals == 0);
  REQUIRE(accepted.size() > 100);
  CHECK_THAT(srv.log(), Catch::Contains("event=node.draining") && Catch::Contains("event=node.stopped"));
  // The hung attempts outlived the 2 s drain deadline and were parked.
  CHECK_THAT(srv.log(), Catch::Contains("event=drain.timeout"));

  // Restart without the hanging backend, as an operator would.
  srv.rewrite_config(config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  REQUIRE(wait_terminal(c, token, accepted, std::chrono::seconds(60)));
  for (const auto& id : accepted) {
    auto s = status_of(c, token, id);
    INFO(id);
    CHECK(s == "completed");
  }
  // A second, idle shutdown is quick and clean too.
  auto idle = srv.terminate(std::chrono::seconds(10));
  REQUIRE(idle.has_value());
  CHECK(*idle == 0);
}

TEST_CASE("stages that finish during a drain do not start the ones they unlock, and a restart runs every stage once") {
  temp_dir dir;
  // embed takes 400 ms: SIGTERM lands while every item's embed runs, and
  // each embed finishes inside the 5 s drain, unlocking five stages the node
  // must not start any more.
  server_process srv(dir, config_builder()
                              .top("[server]\ndrain_timeout_ms = 5000\n[actors]\nmax_active = 64\n")
                              .chaos("embed", "latency = \"uniform\"\nlatency_min_ms = 400\nlatency_max_ms = 400\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  http c(srv.port());
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(submit(c, token, "w", "drained while embedding " + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto code = srv.terminate(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  srv.start();
  REQUIRE(srv.wait_ready());
  http again(srv.port());
  REQUIRE(wait_terminal(again, token, ids, std::chrono::seconds(30)));
  int taken_back = 0;
  for (const auto& id : ids) {
    INFO(id);
    CHECK(status_of(again, token, id) == "completed");
    auto history = history_of(again, token, id);
    for (const auto& [stage, st] : stage_statuses(again, token, id)) {
      INFO(stage);
      CHECK(runs_of(history, stage) == 1);
    }
    for (const auto& e : history) {
      const auto& o = e.as_object();
      // No attempt was cut short: the drain let embed finish, and the stages
      // it unlocked were marked back before their worker started.
      CHECK(o.at("cause").as_string() != "attempt interrupted by a restart");
      if (o.at("cause").as_string() == "not started: the node stopped running the item") ++taken_back;
    }
  }
  CHECK(taken_back >= 20);  // five stages an item, for every item whose embed ended in the drain
}
