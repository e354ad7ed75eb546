// Load shedding with clear JSON errors: the per-user submit rate (429 with
// Retry-After), max connections, and 503 DRAINING while the node shuts down.
#include <signal.h>

#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("per-user submit rate: over it is 429 with Retry-After, other users are unaffected, nothing is lost") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "submit_rate_per_user = 2\nsubmit_burst = 5\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto rita = make_token("rita", {"w1"});
  const auto sam = make_token("sam", {"w1"});

  std::vector<std::string> accepted;
  response limited;
  for (int i = 0; i < 10; ++i) {
    auto r = c.post("/api/v1/items", item_body("w1", "burst " + std::to_string(i)), rita);
    if (r.status == 201) accepted.push_back(std::string(r.json().at("id").as_string()));
    else if (limited.status == 0) limited = r;
  }
  CHECK(accepted.size() >= 5);
  CHECK(accepted.size() <= 6);  // the burst, plus at most one refilled token
  REQUIRE(limited.status == 429);
  CHECK(limited.error_code() == "RATE_LIMITED");
  const auto retry_after = std::stoi(limited.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 2);

  // Another user has their own budget.
  submit(c, sam, "w1", "sam is not limited by rita");
  // Waiting as told works.
  std::this_thread::sleep_for(std::chrono::seconds(retry_after));
  accepted.push_back(submit(c, rita, "w1", "after waiting"));
  // Every accepted item runs to the end.
  CHECK(wait_terminal(c, rita, accepted, 10s));
  CHECK(get_object(c, "/api/v1/items?limit=200", rita).at("items").as_array().size() == accepted.size());
}

TEST_CASE("max connections: one over the limit gets 429 RATE_LIMITED, and a freed slot serves again") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("server", "max_connections = 4\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("tess", {"w1"});
  std::vector<std::unique_ptr<http>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<http>(srv.port()));
    REQUIRE(held.back()->get("/api/v1/items", token).status == 200);  // keep-alive: the connection stays
  }
  {
    http extra(srv.port());
    auto r = extra.get("/api/v1/items", token);
    INFO(r.body);
    CHECK(r.status == 429);
    CHECK(r.error_code() == "RATE_LIMITED");
    CHECK(!r.header("Retry-After").empty());
  }
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  http again(srv.port());
  CHECK(again.get("/api/v1/items", token).status == 200);
  for (auto& h : held) CHECK(h->get("/api/v1/items", token).status == 200);
}

TEST_CASE("while draining, new work is refused with 503 DRAINING and Retry-After, and readyz says so") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .section("server", "drain_timeout_ms = 3000\n")
                              .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 1500\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("uri", {"w1"});
  auto running = submit(c, token, "w1", "in flight during the drain");
  std::this_thread::sleep_for(200ms);
  ::kill(srv.pid(), SIGTERM);
  std::this_thread::sleep_for(300ms);

  auto r = c.post("/api/v1/items", item_body("w1", "too late"), token);
  INFO(r.body);
  CHECK(r.status == 503);
  CHECK(r.error_code() == "DRAINING");
  CHECK(!r.header("Retry-After").empty());
  auto ready = c.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.error_code() == "DRAINING");

  REQUIRE(srv.wait_exit(10s) == 0);  // the first SIGTERM's drain ends by itself
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  CHECK(wait_status(c2, token, running, "completed", 10s));
  CHECK(get_object(c2, "/api/v1/items", token).at("items").as_array().size() == 1);  // the refused one was not kept
}
