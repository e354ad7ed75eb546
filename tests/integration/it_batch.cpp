// `batch` stages on the OpenAI Batch API against the fake provider: requests
// grouped by model into files, batches created, polled, mapped back by
// custom_id exactly once, items woken; items waiting on a batch hold no
// actor; error-file lines, FAILED and expired batches; creator and poller
// switched separately; the admin API's shapes.
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
