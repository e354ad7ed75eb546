// Idempotency-Key on POSTs: concurrent duplicates create one item, a replay
// gets the same answer (also after a restart), another body is 409, keys are
// per user, and a key is forgotten after the retention.
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

response post_with_key(http& c, const std::string& token, const std::string& key, const std::string& body,
                       const std::string& path = "/api/v1/items") {
  return c.send("POST", path, body,
                {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}, {"Idempotency-Key", key}});
}

std::size_t items_of(http& c, const std::string& token) {
  return get_object(c, "/api/v1/items?limit=200", token).at("items").as_array().size();
}

}  // namespace

TEST_CASE("50 concurrent requests with one key create exactly one item, and all get the same answer") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("olga", {"w1"});
  const auto body = item_body("w1", "submitted fifty times");

  std::vector<response> answers(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&, i] {
      http c(srv.port());
      answers[i] = post_with_key(c, token, "order-42", body);
    });
  for (auto& t : threads) t.join();

  for (auto& a : answers) {
    INFO(a.status << " " << a.body);
    REQUIRE(a.status == 201);
    CHECK(a.body == answers[0].body);
  }
  int replayed = 0;
  for (auto& a : answers) replayed += a.header("Idempotent-Replayed") == "true";
  CHECK(replayed == 49);
  http c(srv.port());
  CHECK(items_of(c, token) == 1);
  const auto id = std::string(answers[0].json().at("id").as_string());
  REQUIRE(wait_terminal(c, token, {id}, 10s));

  // After a restart the key is still known (from the store).
  REQUIRE(srv.terminate(10s) == 0);
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  auto again = post_with_key(c2, token, "order-42", body);
  CHECK(again.status == 201);
  CHECK(again.body == answers[0].body);
  CHECK(items_of(c2, token) == 1);

  // The same key with another body is a conflict, and creates nothing.
  auto other = post_with_key(c2, token, "order-42", item_body("w1", "a different text"));
  CHECK(other.status == 409);
  CHECK(other.error_code() == "CONFLICT");
  CHECK(items_of(c2, token) == 1);

  // Keys are per user: another user's identical key is a new item.
  const auto other_user = make_token("pete", {"w1"});
  auto theirs = post_with_key(c2, other_user, "order-42", body);
  CHECK(theirs.status == 201);
  CHECK(theirs.json().at("id") != answers[0].json().at("id"));
}

TEST_CASE("control actions under a key run once, and a key is forgotten after the retention") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("store", "idempotency_retention_ms = 1500\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("quin", {"w1"});
  const auto id = submit(c, token, "w1", "rerun me once");
  REQUIRE(wait_status(c, token, id, "completed", 10s));

  // A retried POST /retry with its key reruns the pipeline once, not twice.
  auto first = post_with_key(c, token, "rerun-1", "", "/api/v1/items/" + id + "/retry");
  REQUIRE(first.status == 200);
  auto second = post_with_key(c, token, "rerun-1", "", "/api/v1/items/" + id + "/retry");
  CHECK(second.status == 200);
  CHECK(second.body == first.body);
  CHECK(second.header("Idempotent-Replayed") == "true");
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  CHECK(runs_of(history_of(c, token, id), "embed") == 2);

  // After the retention the same key and body make a new item.
  auto a = post_with_key(c, token, "late", item_body("w1", "remembered for 1.5 s"));
  REQUIRE(a.status == 201);
  std::this_thread::sleep_for(2s);
  auto b = post_with_key(c, token, "late", item_body("w1", "remembered for 1.5 s"));
  REQUIRE(b.status == 201);
  CHECK(b.json().at("id") != a.json().at("id"));
  CHECK(b.header("Idempotent-Replayed").empty());
}
