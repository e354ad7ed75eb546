// Recovery: with many unfinished items in the store, a restarted node
// listens at once but answers /readyz 503 (and POST 503 NOT_READY) until it
// has found every one of them in the durable queue; then it is ready and they
// all resume. Items are read from the store only when they get a slot, so an
// operator's action can reach one that is still waiting.
#include <atomic>
#include <mutex>
#include <regex>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;

TEST_CASE("readyz is 503 until recovery is done, then every unfinished item resumes") {
  constexpr int items = 12000;
  temp_dir dir;
  // One slow stage keeps every item unfinished.
  const auto slow = config_builder()
                        .top("[actors]\nmax_active = 8\n")
                        .stage("embed", "timeout_ms = 600000\n")
                        .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 600000\n")
                        .str();
  server_process srv(dir, slow);
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  std::mutex mu;
  std::vector<std::string> ids;
  std::vector<std::thread> fill;
  for (int t = 0; t < 8; ++t)
    fill.emplace_back([&, t] {
      http c(srv.port());
      for (int k = t; k < items; k += 8) {
        auto r = c.post("/api/v1/items", item_body("w", "unfinished " + std::to_string(k)), token);
        if (r.status != 201) continue;
        std::lock_guard lock(mu);
        ids.push_back(std::string(r.json().as_object().at("id").as_string()));
      }
    });
  for (auto& t : fill) t.join();
  REQUIRE(ids.size() == static_cast<std::size_t>(items));
  srv.kill9();

  // Restart fast enough to finish: the slow stage is gone.
  srv.rewrite_config(config_builder().str());
  srv.start();
  http c(srv.port());
  int not_ready = 0, refused_posts = 0;
  bool ready = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    auto r = c.get("/readyz");
    if (r.status == 503) {
      CHECK(r.error_code() == "NOT_READY");
      ++not_ready;
      auto post = c.post("/api/v1/items", item_body("w", "too early"), token);
      if (post.status == 503) {
        CHECK(post.error_code() == "NOT_READY");
        CHECK_FALSE(post.header("Retry-After").empty());
        ++refused_posts;
      }
    } else {
      REQUIRE(r.status == 200);
      ready = true;
    }
  }
  REQUIRE(ready);
  // Finding 12,000 ids takes a few ms: the first poll may already be late.
  if (not_ready == 0) WARN("recovery was done before the first /readyz poll");
  // Ready only once recovery logged that it had loaded them all.
  // The log holds both starts; the second one is the recovery.
  const auto log = srv.log();
  const std::regex done_line(R"(event=recovery\.done resumed=(\d+) unreadable=0 elapsed_ms=(\d+))");
  std::smatch m;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), done_line); it != std::sregex_iterator(); ++it) m = *it;
  REQUIRE_FALSE(m.empty());
  CHECK(std::stoi(m[1]) == items);
  UNSCOPED_INFO("recovered " << m[1] << " items in " << m[2] << " ms; /readyz answered 503 " << not_ready
                             << " times, POST 503 " << refused_posts << " times");

  // Every recovered item now finishes.
  REQUIRE(wait_terminal(c, token, ids, std::chrono::seconds(120)));
  std::size_t completed = 0;
  for (std::size_t k = 0; k < ids.size(); k += 97) completed += status_of(c, token, ids[k]) == "completed";
  CHECK(completed == (ids.size() + 96) / 97);
}

TEST_CASE("a recovered item still waiting for a slot can be read and cancelled, and never runs") {
  temp_dir dir;
  const auto slow = config_builder()
                        .top("[actors]\nmax_active = 2\n")
                        .stage("embed", "timeout_ms = 600000\n")
                        .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 600000\n")
                        .str();
  server_process srv(dir, slow);
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  std::vector<std::string> ids;
  {
    http c(srv.port());
    for (int k = 0; k < 50; ++k) ids.push_back(submit(c, token, "w", "waiting " + std::to_string(k)));
  }
  srv.kill9();
  srv.start();  // same slow config: two items hold the slots, 48 wait as ids
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto last = ids.back();
  auto item = get_object(c, "/api/v1/items/" + last, token);
  CHECK(item.at("status").as_string() == "queued");
  auto cancelled = post_action(c, "/api/v1/items/" + last + "/cancel", token);
  INFO(cancelled.body);
  REQUIRE(cancelled.status == 200);
  CHECK(status_of(c, token, last) == "cancelled");
  CHECK(runs_of(history_of(c, token, last), "embed") == 0);
  // The others still wait, untouched.
  CHECK(status_of(c, token, ids[40]) == "queued");

  // Restarted again with fast stages: all but the cancelled one complete.
  srv.kill9();
  srv.rewrite_config(config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  REQUIRE(wait_terminal(c2, token, ids, std::chrono::seconds(60)));
  for (std::size_t k = 0; k + 1 < ids.size(); ++k) CHECK(status_of(c2, token, ids[k]) == "completed");
  CHECK(status_of(c2, token, last) == "cancelled");
  CHECK(runs_of(history_of(c2, token, last), "embed") == 0);
}
