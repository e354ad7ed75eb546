// Control actions on a real server: pause holds and resume finishes, cancel
// stops for good, rollback re-runs exactly a stage and its downstream, delete
// mid-run is silent afterwards, refused actions name the status, and bulk
// retry / DLQ requeue finish failed items once the cause is fixed.
#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

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

// The stage statuses as one line, for failure messages.
std::string describe(const std::map<std::string, std::string>& stages) {
  std::string out;
  for (const auto& [k, v] : stages) out += k + "=" + v + " ";
  return out;
}

bool wait_stage(http& c, const std::string& token, const std::string& id, const std::string& stage,
                const std::string& status, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stage_statuses(c, token, id)[stage] == status) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

std::vector<boost::json::object> frames_of(const ws_client& ws, const std::string& id) {
  std::vector<boost::json::object> out;
  for (auto& f : ws.frames())
    if (auto* v = f.if_contains("item_id"); v && v->as_string() == id) out.push_back(f);
  return out;
}

bool has_cause(const boost::json::array& history, const std::string& cause) {
  for (const auto& e : history)
    if (e.as_object().at("cause").as_string() == cause) return true;
  return false;
}

}  // namespace

TEST_CASE("pause holds: no stage starts while paused, running ones finish and are kept - resume finishes") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 400\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("ann", {"w1"});

  auto id = submit(c, token, "w1", "The export button does nothing");
  REQUIRE(wait_stage(c, token, id, "embed", "processing", 5s));
  auto paused = post_action(c, "/api/v1/items/" + id + "/pause", token);
  REQUIRE(paused.status == 200);
  CHECK(paused.json().at("status").as_string() == "paused");

  // embed (400 ms) finishes during the pause; nothing downstream starts.
  REQUIRE(wait_stage(c, token, id, "embed", "completed", 5s));
  std::this_thread::sleep_for(600ms);
  auto stages = stage_statuses(c, token, id);
  INFO(describe(stages));
  CHECK(status_of(c, token, id) == "paused");
  for (const auto& [name, st] : stages)
    if (name != "embed") CHECK(st == "pending");

  // Pausing twice is refused with the status in the message.
  auto again = post_action(c, "/api/v1/items/" + id + "/pause", token);
  CHECK(again.status == 409);
  CHECK(again.error_code() == "INVALID_TRANSITION");
  CHECK(again.json().at("error").at("message").as_string().find("paused") != std::string::npos);

  auto resumed = post_action(c, "/api/v1/items/" + id + "/resume", token);
  REQUIRE(resumed.status == 200);
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  auto history = history_of(c, token, id);
  CHECK(runs_of(history, "embed") == 1);
  CHECK(runs_of(history, "priority") == 1);
  CHECK(has_cause(history, "paused by request"));
  CHECK(has_cause(history, "resumed by request"));

  // A queued item can be paused before anything starts, and resumed.
  auto id2 = submit(c, token, "w1", "Second item");
  REQUIRE(post_action(c, "/api/v1/items/" + id2 + "/pause", token).status == 200);
  std::this_thread::sleep_for(800ms);
  CHECK(status_of(c, token, id2) == "paused");
  REQUIRE(post_action(c, "/api/v1/items/" + id2 + "/resume", token).status == 200);
  CHECK(wait_status(c, token, id2, "completed", 10s));
}

TEST_CASE("cancel stops for good: nothing runs after it and nothing brings it back") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 300\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("bob", {"w1"});

  auto id = submit(c, token, "w1", "Cancel me");
  REQUIRE(wait_stage(c, token, id, "embed", "processing", 5s));
  auto r = post_action(c, "/api/v1/items/" + id + "/cancel", token);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("status").as_string() == "cancelled");
  std::this_thread::sleep_for(800ms);
  CHECK(status_of(c, token, id) == "cancelled");
  auto stages = stage_statuses(c, token, id);
  INFO(describe(stages));
  for (const auto& [name, st] : stages)
    if (name != "embed") CHECK(st == "skipped");
  CHECK(runs_of(history_of(c, token, id), "classify") == 0);
  CHECK(has_cause(history_of(c, token, id), "cancelled by request"));

  for (const char* action : {"resume", "pause", "cancel"}) {
    auto refused = post_action(c, "/api/v1/items/" + id + "/" + action, token);
    INFO(action << " -> " << refused.body);
    CHECK(refused.status == 409);
    CHECK(refused.error_code() == "INVALID_TRANSITION");
    CHECK(refused.json().at("error").at("message").as_string().find("cancelled") != std::string::npos);
  }
  auto retry = post_action(c, "/api/v1/items/" + id + "/retry", token);
  CHECK(retry.status == 409);
  CHECK(status_of(c, token, id) == "cancelled");
}

TEST_CASE("rollback re-runs exactly the stage and its downstream, upstream results kept") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("cid", {"w1"});
  auto id = submit(c, token, "w1", "Checkout fails with a 500 when I use a coupon");
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  auto before = get_object(c, "/api/v1/items/" + id, token);

  auto r = post_action(c, "/api/v1/items/" + id + "/rollback", token, R"({"stage":"sentiment"})");
  REQUIRE(r.status == 200);
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  auto history = history_of(c, token, id);
  CHECK(runs_of(history, "sentiment") == 2);
  CHECK(runs_of(history, "priority") == 2);
  for (const char* kept : {"embed", "classify", "urgency", "duplicate", "theme"}) {
    INFO(kept);
    CHECK(runs_of(history, kept) == 1);
  }
  CHECK(has_cause(history, "rollback to 'sentiment' requested"));
  // Deterministic stages: the re-run gives the same results.
  auto after = get_object(c, "/api/v1/items/" + id, token);
  for (const char* stage : {"embed", "sentiment", "priority"}) {
    INFO(stage);
    CHECK(after.at("stages").at(stage).at("result") == before.at("stages").at(stage).at("result"));
  }

  // Refusals: an unknown stage, a running item.
  auto unknown = post_action(c, "/api/v1/items/" + id + "/rollback", token, R"({"stage":"nope"})");
  CHECK(unknown.status == 409);
  CHECK(unknown.error_code() == "INVALID_TRANSITION");
  CHECK(unknown.json().at("error").at("message").as_string().find("completed") != std::string::npos);
  auto missing = post_action(c, "/api/v1/items/" + id + "/rollback", token, "{}");
  CHECK(missing.status == 400);
  CHECK(missing.error_code() == "VALIDATION_FAILED");
}

TEST_CASE("refused transitions answer 409 naming the current status") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("dee", {"w1"});
  auto id = submit(c, token, "w1", "Done item");
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  struct row {
    const char* action;
    const char* body;
  };
  for (auto [action, body] : {row{"pause", "{}"}, row{"resume", "{}"}, row{"cancel", "{}"},
                              row{"retry", R"({"stages":["sentiment"]})"}, row{"retry", R"({"stages":["nope"]})"}}) {
    auto r = post_action(c, "/api/v1/items/" + id + "/" + action, token, body);
    INFO(action << " " << body << " -> " << r.status << " " << r.body);
    CHECK(r.status == 409);
    CHECK(r.error_code() == "INVALID_TRANSITION");
    CHECK(r.json().at("error").at("message").as_string().find("completed") != std::string::npos);
  }
  // Retry without stages on a finished item runs the whole pipeline again.
  auto rerun = post_action(c, "/api/v1/items/" + id + "/retry", token, "");
  REQUIRE(rerun.status == 200);
  REQUIRE(wait_status(c, token, id, "completed", 10s));
  CHECK(runs_of(history_of(c, token, id), "embed") == 2);
  CHECK(has_cause(history_of(c, token, id), "rerun requested"));
}

TEST_CASE("delete mid-run: the item is gone and no event follows the answer") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 500\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("eve", {"w1"});
  ws_client ws(srv.port(), token);
  REQUIRE(ws.connected());
  std::this_thread::sleep_for(100ms);

  auto id = submit(c, token, "w1", "Delete me while embed runs");
  REQUIRE(wait_stage(c, token, id, "embed", "processing", 5s));
  auto r = c.send("DELETE", "/api/v1/items/" + id, "", {{"Authorization", "Bearer " + token}});
  REQUIRE(r.status == 200);
  CHECK(r.json().at("status").as_string() == "deleted");
  std::this_thread::sleep_for(200ms);  // events committed before the delete may still be in flight
  const auto seen = frames_of(ws, id).size();
  std::this_thread::sleep_for(1200ms);  // embed's 500 ms attempt has long finished
  auto frames = frames_of(ws, id);
  CHECK(frames.size() == seen);
  for (auto& f : frames) {
    INFO(boost::json::serialize(f));
    CHECK(f.at("type").as_string() != "item.completed");
    if (auto* stage = f.if_contains("stage")) CHECK(stage->as_string() == "embed");
  }
  CHECK(c.get("/api/v1/items/" + id, token).status == 404);
  CHECK(c.get("/api/v1/items/" + id + "/history", token).status == 404);
  auto list = get_object(c, "/api/v1/items?workspace=w1", token);
  CHECK(list.at("items").as_array().empty());
  auto again = c.send("DELETE", "/api/v1/items/" + id, "", {{"Authorization", "Bearer " + token}});
  CHECK(again.status == 404);
  // The server goes on.
  auto next = submit(c, token, "w1", "After the delete");
  CHECK(wait_status(c, token, next, "completed", 10s));
}

TEST_CASE("bulk retry of 100 failed items finishes them once the stage works again") {
  constexpr int n = 100;
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("urgency", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("fay", {"w1"});
  auto other = make_token("gus", {"w1"});
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(submit(c, token, "w1", "failing item " + std::to_string(i)));
  auto theirs = submit(c, other, "w1", "someone else's failed item");
  REQUIRE(wait_terminal(c, token, ids, 30s));
  REQUIRE(wait_terminal(c, other, {theirs}, 10s));
  for (auto& id : ids) REQUIRE(status_of(c, token, id) == "partial");

  auto metrics = get_object(c, "/api/v1/workspaces/w1/ai/metrics", token);
  CHECK(metrics.at("failed_pending").as_int64() == n + 1);
  CHECK(metrics.at("items").at("partial").as_int64() == n + 1);
  auto failed = get_object(c, "/api/v1/workspaces/w1/ai/failed-items?limit=5", token);
  REQUIRE(failed.at("items").as_array().size() == 5);
  auto first = failed.at("items").as_array()[0].as_object();
  CHECK(first.at("owner").as_string() == "fay");  // a user sees only their own
  REQUIRE(first.at("failed_stages").as_array().size() == 1);
  CHECK(first.at("failed_stages").as_array()[0].at("stage").as_string() == "urgency");

  // The provider is fixed: restart without chaos, then retry in bulk.
  REQUIRE(srv.terminate(10s) == 0);
  srv.rewrite_config(config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  auto r = post_action(c2, "/api/v1/workspaces/w1/ai/retry-failed", token);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("queued").as_int64() == n);
  REQUIRE(wait_terminal(c2, token, ids, 30s));
  for (auto& id : ids) CHECK(status_of(c2, token, id) == "completed");
  CHECK(status_of(c2, other, theirs) == "partial");  // not this user's to retry
  auto after = get_object(c2, "/api/v1/workspaces/w1/ai/metrics", token);
  CHECK(after.at("failed_pending").as_int64() == 1);
  CHECK(runs_of(history_of(c2, token, ids[0]), "embed") == 1);  // only the failed stage and its dependents re-ran
  CHECK(runs_of(history_of(c2, token, ids[0]), "urgency") == 2);
}

TEST_CASE("DLQ: dead letters listed for admins, resolve closes one, requeue finishes the item") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("theme", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("hal", {"w1"});
  auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(submit(c, token, "w1", "dead letter " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, ids, 10s));

  CHECK(c.get("/api/v1/admin/dlq", token).status == 403);
  auto dlq = get_object(c, "/api/v1/admin/dlq", admin);
  REQUIRE(dlq.at("items").as_array().size() == 3);
  CHECK(dlq.at("open").as_int64() == 3);
  auto letter = dlq.at("items").as_array()[0].as_object();
  CHECK(letter.at("stage").as_string() == "theme");
  CHECK(!letter.at("error").as_string().empty());
  CHECK(letter.at("attempts").as_array().size() == 1);
  auto queue = get_object(c, "/api/v1/admin/queue", admin);
  CHECK(queue.at("dead").as_int64() == 3);
  CHECK(queue.at("partial").as_int64() == 3);

  // Resolve the last one without a retry.
  auto resolved = post_action(c, "/api/v1/admin/dlq/" + ids[2] + ":theme/resolve", admin);
  REQUIRE(resolved.status == 200);
  CHECK(get_object(c, "/api/v1/admin/dlq", admin).at("open").as_int64() == 2);
  CHECK(post_action(c, "/api/v1/admin/dlq/" + ids[2] + ":theme/resolve", admin).status == 404);
  CHECK(has_cause(history_of(c, token, ids[2]), "dead letter resolved without a retry"));

  REQUIRE(srv.terminate(10s) == 0);
  srv.rewrite_config(config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  auto one = post_action(c2, "/api/v1/admin/dlq/requeue", admin, "{\"ids\":[\"" + ids[0] + ":theme\"]}");
  REQUIRE(one.status == 200);
  CHECK(one.json().at("requeued").as_int64() == 1);
  REQUIRE(wait_status(c2, token, ids[0], "completed", 10s));
  CHECK(status_of(c2, token, ids[1]) == "partial");
  auto all = post_action(c2, "/api/v1/admin/dlq/requeue", admin, R"({"all":true})");
  REQUIRE(all.status == 200);
  CHECK(all.json().at("requeued").as_int64() == 1);
  REQUIRE(wait_status(c2, token, ids[1], "completed", 10s));
  CHECK(status_of(c2, token, ids[2]) == "partial");  // resolved: stays as it was
  CHECK(get_object(c2, "/api/v1/admin/dlq", admin).at("open").as_int64() == 0);
  CHECK(get_object(c2, "/api/v1/admin/queue", admin).at("dead").as_int64() == 0);
}

// Two defects gave an item a second supervisor here: admission learnt of a new
// item after its caller did, and admission indexed a started item's
// supervisor under an id the supervisor was moving out of the shared record
// on another thread (an empty key 1 run in 4; the pause then found no
// supervisor and started a second one). Either fails this in a few runs.
TEST_CASE("an action sent the moment a 201 arrives reaches the item's one supervisor", "[race]") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("embed", "latency = \"uniform\"\nlatency_min_ms = 20\nlatency_max_ms = 20\n").str());
  // Holds the store's writer 30 ms between telling admission of a new item
  // and answering its caller: an action on the new id must still find it.
  srv.set_env("PIPEWRIGHT_PAUSEPOINT", "admission.accepted_sent:30");
  // Routing and supervisors' starts and stops, to show who wrote what if it fails.
  srv.set_env("PIPEWRIGHT_LOG__LEVEL", "debug");
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice");
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      http c(srv.port());
      // No Catch assertion in these threads (Catch2 is not thread-safe): a
      // refusal is counted and checked after the join.
      for (int k = 0; k < 12; ++k) {
        auto created = c.post("/api/v1/items",
                              item_body("w" + std::to_string(t), "paused at once " + std::to_string(t) + "/" + std::to_string(k)),
                              token);
        if (created.status != 201) {
          ++unexpected;
          continue;
        }
        const auto id = std::string(created.json().as_object().at("id").as_string());
        auto r = post_action(c, "/api/v1/items/" + id + "/pause", token);
        if (r.status != 200 && r.status != 409) ++unexpected;  // 409: it finished first
        std::lock_guard lock(mu);
        ids.push_back(id);
      }
    });
  for (auto& t : clients) t.join();
  CHECK(unexpected == 0);
  http c(srv.port());
  for (const auto& id : ids) {
    auto r = post_action(c, "/api/v1/items/" + id + "/resume", token);
    CHECK((r.status == 200 || r.status == 409));
  }
  REQUIRE(wait_terminal(c, token, ids, 60s));
  for (const auto& id : ids) {
    INFO(id);
    CHECK(status_of(c, token, id) == "completed");
    auto history = history_of(c, token, id);
    for (const auto& [stage, st] : stage_statuses(c, token, id)) {
      INFO(stage << " " << boost::json::serialize(history));
      CHECK(runs_of(history, stage) == 1);
    }
  }
  REQUIRE(srv.terminate(10s) == 0);
  // One writer an item: records, indexes and counters agree.
  const auto report = dir.file("verify.txt");
  const auto cmd = std::string(binary_path()) + " verify --data-dir " + srv.data_dir() + " > " + report + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(read_file(report));
  if (rc != 0) {
    // Who held each inconsistent item: its log lines (routing, supervisors).
    const auto text = read_file(report);
    for (const auto& id : ids) {
      if (text.find(id) == std::string::npos) continue;
      std::istringstream log(srv.log());
      for (std::string line; std::getline(log, line);)
        if (line.find(id) != std::string::npos) UNSCOPED_INFO(line);
    }
  }
  CHECK(rc == 0);
}
