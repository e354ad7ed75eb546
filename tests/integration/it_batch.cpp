// `batch` stages on the OpenAI Batch API against the fake provider: requests
// grouped by model into files, batches created, polled, mapped back by
// custom_id exactly once, items woken; items waiting on a batch hold no
// actor; error-file lines, FAILED and expired batches; creator and poller
// switched separately; the admin API's shapes.
#include <atomic>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "fake_provider.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

// sentiment, urgency and classify on the Batch API, each on its own model.
std::string batch_config(const fake_provider& fake, const std::string& batch_keys, const std::string& extra = "") {
  config_builder b;
  b.backend("builtin")
      .top("[providers.openai]\nbase_url = \"" + fake.http_url() + "\"\napi_key_env = \"\"\n")
      .section("batch", "creation_interval_ms = 100\npolling_interval_ms = 100\n" + batch_keys)
      .stage_backend("sentiment", "batch")
      .stage("sentiment", "model = \"gpt-4o-mini\"\n")
      .stage_backend("urgency", "batch")
      .stage("urgency", "model = \"gpt-4.1-mini\"\n")
      .stage_backend("classify", "batch")
      .stage("classify", "model = \"gpt-4.1-nano\"\n");
  if (!extra.empty()) b.top(extra);
  return b.str();
}

boost::json::object summary(http& c, const std::string& admin) {
  return get_object(c, "/api/admin/legacy/summary", admin).at("summary").as_object();
}

std::int64_t n(const boost::json::object& o, const char* k) { return o.at(k).as_int64(); }

}  // namespace

TEST_CASE("batch stages end to end: files by model, mapped back once, items woken, waiting items hold no actor") {
  fake_provider fake;
  fake.control(R"({"polls_to_finish": 3})");
  temp_dir dir;
  // First the creator is off: the requests wait, and so do their items, parked.
  server_process srv(dir, batch_config(fake, "max_lines_per_file = 40\ncreation_enabled = false\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  {
    http c(srv.port());
    for (int i = 0; i < 50; ++i)
      ids.push_back(submit(c, token, "acme", i % 2 ? "The invoice charged me twice, refund please" : "I love the new dashboard"));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline &&
           (n(summary(c, admin), "pending_batching") < 150 || n(get_object(c, "/api/v1/admin/queue", admin), "active") > 0))
      std::this_thread::sleep_for(50ms);
    auto s = summary(c, admin);
    CHECK(n(s, "pending_batching") == 150);
    CHECK(n(s, "batching_in_progress") == 0);
    // Every item waits on its batches, and no supervisor does.
    auto queue = get_object(c, "/api/v1/admin/queue", admin);
    CHECK(n(queue, "active") == 0);
    CHECK(n(queue, "processing") == 50);
    // They are still listed as processing (from where they are parked).
    auto listed = get_object(c, "/api/v1/items?workspace=acme&status=processing&limit=100", token).at("items").as_array();
    CHECK(listed.size() == 50);
    CHECK(status_of(c, token, ids[0]) == "processing");
    CHECK(fake.stats().at("files").as_int64() == 0);
    REQUIRE(srv.terminate(10s) == 0);
  }
  // The creator on: one model a file, at most 40 lines a file.
  srv.rewrite_config(batch_config(fake, "max_lines_per_file = 40\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  REQUIRE(wait_terminal(c, token, ids, 60s));
  for (const auto& id : ids) CHECK(status_of(c, token, id) == "completed");
  auto item = get_object(c, "/api/v1/items/" + ids[1], token).at("stages").as_object();
  CHECK(item.at("sentiment").as_object().at("result").as_object().at("label").as_string() == "negative");
  CHECK(item.at("sentiment").as_object().at("result").as_object().at("model").as_string() == "gpt-4o-mini");
  CHECK(item.at("classify").as_object().at("result").as_object().at("label").as_string() == "billing");
  CHECK(item.at("urgency").as_object().at("result").as_object().at("model").as_string() == "gpt-4.1-mini");
  CHECK(item.at("sentiment").as_object().at("attempts").as_int64() == 1);  // waiting across a restart is one attempt

  auto s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 150);
  CHECK(n(s, "pending_batching") == 0);
  CHECK(n(s, "batching_in_progress") == 0);
  CHECK(n(s, "processing_failed") == 0);
  auto stats = fake.stats();
  CHECK(n(stats, "custom_ids") == 150);
  CHECK(n(stats, "custom_ids_in_several_batches") == 0);
  std::map<std::string, int> per_model;
  for (const auto& b : stats.at("batches").as_array()) {
    ++per_model[std::string(b.as_object().at("model").as_string())];
    CHECK(b.as_object().at("lines").as_int64() <= 40);
  }
  CHECK(per_model == std::map<std::string, int>{{"gpt-4.1-mini", 2}, {"gpt-4.1-nano", 2}, {"gpt-4o-mini", 2}});
  auto batches = get_object(c, "/api/v1/admin/batches", admin);
  CHECK(batches.at("batches").as_array().size() == 6);
  for (const auto& b : batches.at("batches").as_array()) {
    const auto& x = b.as_object();
    CHECK(x.at("status").as_string() == "PROCESSED");
    CHECK(x.at("counts").as_object().at("mapped_complete").as_int64() == x.at("requests").as_int64());
    CHECK(x.at("usage").as_object().at("total_tokens").as_int64() > 0);
    CHECK(!x.at("provider_batch_id").is_null());
  }
  CHECK(batches.at("usage_last_30_days").as_object().at("requests").as_int64() == 150);
  auto metrics = get_object(c, "/api/v1/workspaces/acme/ai/metrics", token);
  CHECK(metrics.at("usage_last_30_days").as_object().at("by_mode").as_object().at("batch").as_object().at("requests").as_int64() == 150);
  CHECK(n(get_object(c, "/api/v1/admin/queue", admin), "active") == 0);
}

TEST_CASE("error-file lines fail their requests, the legacy API lists them by status and requeues them") {
  fake_provider fake;
  temp_dir dir;
  server_process srv(dir, batch_config(fake, ""));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> good, bad;
  for (int i = 0; i < 6; ++i) good.push_back(submit(c, token, "acme", "The export works well " + std::to_string(i)));
  for (int i = 0; i < 4; ++i) bad.push_back(submit(c, token, "acme", "Refuse me [[fail400]] " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, good, 60s));
  REQUIRE(wait_terminal(c, token, bad, 60s));
  for (const auto& id : good) CHECK(status_of(c, token, id) == "completed");
  for (const auto& id : bad) CHECK(status_of(c, token, id) == "partial");
  auto stage = get_object(c, "/api/v1/items/" + bad[0] + "/processing-status", token).at("stages").as_object().at("sentiment").as_object();
  CHECK(stage.at("status").as_string() == "failed");
  CHECK(stage.at("attempts").as_int64() == 1);  // a 400 line is permanent
  CHECK(std::string(stage.at("error").as_string()).find("HTTP 400: the fake provider refuses this request") != std::string::npos);

  auto s = summary(c, admin);
  CHECK(n(s, "processing_failed") == 12);
  CHECK(n(s, "processing_complete") == 18);
  CHECK(s.size() == 4);

  // Paged by 5 through the failed ones: each once, in the exact shape.
  std::set<std::string> failed, sessions;
  std::string cursor;
  int pages = 0;
  do {
    auto r = c.get("/api/admin/legacy/requests?status=PROCESSING_FAILED&limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor), admin);
    REQUIRE(r.status == 200);
    auto o = r.json().as_object();
    CHECK(o.size() == 3);
    CHECK(o.at("ok").as_bool());
    for (const auto& v : o.at("requests").as_array()) {
      const auto& q = v.as_object();
      CHECK(q.size() == 5);
      CHECK(q.at("status").as_string() == "PROCESSING_FAILED");
      CHECK(q.at("failedAt").is_string());
      CHECK(std::string(q.at("error").as_string()).find("HTTP 400") != std::string::npos);
      CHECK(failed.insert(std::string(q.at("id").as_string())).second);
      sessions.insert(std::string(q.at("sessionId").as_string()));
    }
    cursor = o.at("nextCursor").is_null() ? std::string() : std::string(o.at("nextCursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(failed.size() == 12);
  CHECK(pages == 3);
  CHECK(sessions == std::set<std::string>(bad.begin(), bad.end()));
  auto complete = get_object(c, "/api/admin/legacy/requests?status=processing_complete&limit=100", admin);
  CHECK(complete.at("requests").as_array().size() == 18);
  CHECK(complete.at("requests").as_array()[0].as_object().at("failedAt").is_null());
  CHECK(complete.at("nextCursor").is_null());

  // A bad or missing status: 400 naming the valid ones; not an admin: 403.
  for (auto path : {"/api/admin/legacy/requests?status=DONE", "/api/admin/legacy/requests"}) {
    auto r = c.get(path, admin);
    CHECK(r.status == 400);
    CHECK(r.error_code() == "VALIDATION_FAILED");
    CHECK(r.body.find("PENDING_BATCHING, BATCHING_IN_PROGRESS, PROCESSING_COMPLETE, PROCESSING_FAILED") != std::string::npos);
    CHECK(r.json().as_object().at("ok").as_bool() == false);
  }
  CHECK(c.get("/api/admin/legacy/summary", token).status == 403);
  CHECK(c.post("/api/admin/legacy/requests/requeue", R"({"requestIds":["x"]})", token).status == 403);
  CHECK(c.post("/api/admin/legacy/requests/requeue", R"({"ids":["x"]})", admin).status == 400);

  // The provider takes them now: requeued, batched again, and the items finish.
  fake.control(R"({"fail_marker": "[[never]]"})");
  std::string body = "{\"requestIds\":[";
  for (const auto& id : failed) body += "\"" + id + "\",";
  body += "\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"]}";
  auto r = c.post("/api/admin/legacy/requests/requeue", body, admin);
  REQUIRE(r.status == 200);
  auto o = r.json().as_object();
  CHECK(o.size() == 3);
  CHECK(o.at("ok").as_bool());
  CHECK(o.at("requeuedCount").as_int64() == 12);
  CHECK(o.at("notFoundCount").as_int64() == 1);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && n(summary(c, admin), "processing_complete") < 30)
    std::this_thread::sleep_for(50ms);
  s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 30);
  CHECK(n(s, "processing_failed") == 0);
  for (const auto& id : bad) {
    const bool done = wait_status(c, token, id, "completed", 30s);
    INFO(id << ": " << c.get("/api/v1/items/" + id + "/history", token).body);
    CHECK(done);
  }
  // Requeuing what is not failed changes nothing.
  r = c.post("/api/admin/legacy/requests/requeue", "{\"requestIds\":[\"" + *failed.begin() + "\"]}", admin);
  CHECK(r.json().as_object().at("requeuedCount").as_int64() == 0);
  CHECK(r.json().as_object().at("notFoundCount").as_int64() == 0);
}

TEST_CASE("a FAILED batch: its requests are requeued and a later batch answers them") {
  fake_provider fake;
  fake.control(R"({"batch_outcome": "failed"})");
  temp_dir dir;
  server_process srv(dir, batch_config(fake, "max_requeues = 50\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(submit(c, token, "acme", "Support answered quickly " + std::to_string(i)));
  // Wait for a failed batch, then let the provider succeed.
  bool seen_failed = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!seen_failed && std::chrono::steady_clock::now() < deadline) {
    const auto page = get_object(c, "/api/v1/admin/batches?status=FAILED", admin);
    for (const auto& b : page.at("batches").as_array()) {
      const auto& x = b.as_object();
      seen_failed = seen_failed || (!x.at("processed_at").is_null() && x.at("counts").as_object().at("requeued").as_int64() > 0);
    }
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(seen_failed);
  auto failed = get_object(c, "/api/v1/admin/batches?status=FAILED&limit=1", admin).at("batches").as_array()[0].as_object();
  CHECK(std::string(failed.at("error").as_string()).find("the fake provider failed this batch") != std::string::npos);
  fake.control(R"({"batch_outcome": "completed"})");
  REQUIRE(wait_terminal(c, token, ids, 60s));
  for (const auto& id : ids) CHECK(status_of(c, token, id) == "completed");
  auto s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 15);
  CHECK(n(s, "processing_failed") == 0);
  CHECK(n(fake.stats(), "custom_ids") == 15);
}

TEST_CASE("an expired batch with on_batch_failure = fail: answered lines complete, the rest fail") {
  fake_provider fake;
  fake.control(R"({"batch_outcome": "expired", "answered_fraction": 0.5})");
  temp_dir dir;
  // Everything pending goes into one batch per model: the creator starts after the submissions.
  server_process srv(dir, batch_config(fake, "on_batch_failure = \"fail\"\ncreation_enabled = false\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  {
    http c(srv.port());
    for (int i = 0; i < 10; ++i) ids.push_back(submit(c, token, "acme", "The report loads fine " + std::to_string(i)));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && n(summary(c, admin), "pending_batching") < 30)
      std::this_thread::sleep_for(50ms);
    REQUIRE(srv.terminate(10s) == 0);
  }
  srv.rewrite_config(batch_config(fake, "on_batch_failure = \"fail\"\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  REQUIRE(wait_terminal(c, token, ids, 60s));
  auto s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 15);  // half of each model's 10 lines
  CHECK(n(s, "processing_failed") == 15);
  auto batches = get_object(c, "/api/v1/admin/batches", admin).at("batches").as_array();
  CHECK(batches.size() == 3);
  for (const auto& b : batches) {
    const auto& x = b.as_object();
    CHECK(x.at("status").as_string() == "EXPIRED");
    CHECK(!x.at("processed_at").is_null());
    CHECK(x.at("counts").as_object().at("mapped_complete").as_int64() == 5);
    CHECK(x.at("counts").as_object().at("mapped_failed").as_int64() == 5);
  }
  auto failed = get_object(c, "/api/admin/legacy/requests?status=PROCESSING_FAILED&limit=1", admin).at("requests").as_array();
  REQUIRE(failed.size() == 1);
  CHECK(std::string(failed[0].as_object().at("error").as_string()).find("EXPIRED") != std::string::npos);
  int partial = 0;
  for (const auto& id : ids) partial += status_of(c, token, id) == "partial" ? 1 : 0;
  CHECK(partial > 0);
}

TEST_CASE("a batch cancelled at the provider: answered lines complete, the rest are requeued and a later batch answers them") {
  fake_provider fake;
  // Batches made now end CANCELLED with half their lines answered (an
  // operator cancelled them in the provider's console).
  fake.control(R"({"batch_outcome": "cancelled", "answered_fraction": 0.5})");
  temp_dir dir;
  server_process srv(dir, batch_config(fake, "creation_enabled = false\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  {
    http c(srv.port());
    for (int i = 0; i < 10; ++i) ids.push_back(submit(c, token, "acme", "The export works " + std::to_string(i)));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline && n(summary(c, admin), "pending_batching") < 30)
      std::this_thread::sleep_for(50ms);
    REQUIRE(srv.terminate(10s) == 0);
  }
  srv.rewrite_config(batch_config(fake, ""));
  srv.start();
  REQUIRE(srv.wait_ready());
  // Once the first three batches exist, later ones complete.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && fake.stats().at("batches").as_array().size() < 3)
    std::this_thread::sleep_for(10ms);
  fake.control(R"({"batch_outcome": "completed"})");
  http c(srv.port());
  REQUIRE(wait_terminal(c, token, ids, 60s));
  for (const auto& id : ids) CHECK(status_of(c, token, id) == "completed");
  auto s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 30);
  CHECK(n(s, "processing_failed") == 0);
  CHECK(n(fake.stats(), "custom_ids") == 30);
  std::int64_t cancelled = 0, requeued = 0, mapped = 0;
  const auto batches = get_object(c, "/api/v1/admin/batches?limit=100", admin);
  for (const auto& b : batches.at("batches").as_array()) {
    const auto& x = b.as_object();
    const auto& counts = x.at("counts").as_object();
    mapped += counts.at("mapped_complete").as_int64();
    if (x.at("status").as_string() != "CANCELLED") continue;
    ++cancelled;
    CHECK(!x.at("processed_at").is_null());
    CHECK(counts.at("mapped_complete").as_int64() == 5);
    requeued += counts.at("requeued").as_int64();
  }
  CHECK(cancelled == 3);
  CHECK(requeued == 15);
  CHECK(mapped == 30);  // each request answered once: 15 by the cancelled batches, 15 by later ones
}

TEST_CASE("10,000 requests over 3 models: one or more batches a model, every request mapped back exactly once") {
  fake_provider fake;
  temp_dir dir;
  // 3,334 items x 3 batch stages = 10,002 requests; at most 2,000 lines a file.
  server_process srv(dir, batch_config(fake, "max_lines_per_file = 2000\n", "[actors]\nmax_active = 2048\nmax_active_per_workspace = 0\n"));
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  constexpr int items = 3334;
  std::vector<std::string> ids(items);
  std::atomic<int> refused{0};
  {
    // No Catch assertion in these threads (Catch2 is not thread-safe).
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        http c(srv.port());
        for (int i = t; i < items && refused == 0; i += 4) {
          auto r = c.post("/api/v1/items", item_body("acme", "Feedback number " + std::to_string(i) + ": the search is slow"), token);
          if (r.status != 201) {
            ++refused;
            return;
          }
          ids[static_cast<std::size_t>(i)] = std::string(r.json().as_object().at("id").as_string());
        }
      });
    for (auto& t : threads) t.join();
  }
  if (refused != 0) {
    const auto log = srv.log();
    INFO("the server's log, its end:\n" << log.substr(log.size() > 8000 ? log.size() - 8000 : 0));
    REQUIRE(refused == 0);
  }
  http c(srv.port());
  REQUIRE(wait_terminal(c, token, ids, 300s));
  auto s = summary(c, admin);
  CHECK(n(s, "processing_complete") == 3 * items);
  CHECK(n(s, "processing_failed") == 0);
  CHECK(n(s, "pending_batching") == 0);
  CHECK(n(s, "batching_in_progress") == 0);
  auto stats = fake.stats();
  CHECK(n(stats, "custom_ids") == 3 * items);
  CHECK(n(stats, "custom_ids_in_several_batches") == 0);
  std::map<std::string, std::int64_t> lines_per_model;
  std::map<std::string, int> batches_per_model;
  for (const auto& b : stats.at("batches").as_array()) {
    const auto& x = b.as_object();
    CHECK(x.at("lines").as_int64() <= 2000);
    lines_per_model[std::string(x.at("model").as_string())] += x.at("lines").as_int64();
    ++batches_per_model[std::string(x.at("model").as_string())];
  }
  CHECK(lines_per_model == std::map<std::string, std::int64_t>{{"gpt-4.1-mini", items}, {"gpt-4.1-nano", items}, {"gpt-4o-mini", items}});
  for (const auto& [model, count] : batches_per_model) CHECK(count >= 2);
  std::int64_t mapped = 0;
  auto ours = get_object(c, "/api/v1/admin/batches?limit=500", admin);
  for (const auto& b : ours.at("batches").as_array()) mapped += b.as_object().at("counts").as_object().at("mapped_complete").as_int64();
  CHECK(mapped == 3 * items);
  CHECK(ours.at("usage_last_30_days").as_object().at("requests").as_int64() == 3 * items);
  // Each item: every stage completed once, its batch stages in one attempt.
  std::size_t checked = 0;
  for (std::size_t i = 0; i < ids.size(); i += 97, ++checked) {
    auto h = history_of(c, token, ids[i]);
    for (auto stage : {"sentiment", "urgency", "classify"}) CHECK(runs_of(h, stage) == 1);
    CHECK(status_of(c, token, ids[i]) == "completed");
  }
  CHECK(checked > 30);
}
