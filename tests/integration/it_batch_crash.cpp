// kill -9 at each step of the batch creator and poller makes no second
// batch of the same requests and loses no result. Each step is reached
// exactly: the node kills itself there (PIPEWRIGHT_FAILPOINT, as `kill -9`
// would), or the test kills it while the fake provider holds the answer of
// the call the node is waiting on. After a restart every item completes,
// every request is in exactly one batch at the provider, is mapped back
// once (its usage counted once), and each stage completed once.
#include <algorithm>
#include <csignal>
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

constexpr int items = 24;

std::string crash_config(const fake_provider& fake) {
  return config_builder()
      .backend("builtin")
      .top("[providers.openai]\nbase_url = \"" + fake.http_url() + "\"\napi_key_env = \"\"\n")
      .section("batch", "creation_interval_ms = 100\npolling_interval_ms = 100\nmapping_chunk = 5\n")
      .stage_backend("sentiment", "batch")
      .str();
}

std::int64_t n(const boost::json::object& o, const char* k) { return o.at(k).as_int64(); }

std::vector<std::string> submit_all(std::uint16_t port, const std::string& token) {
  http c(port);
  std::vector<std::string> ids;
  for (int i = 0; i < items; ++i) {
    auto r = c.post("/api/v1/items", item_body("acme", "The sync is slow again, item " + std::to_string(i)), token);
    if (r.status != 201) break;  // the node died meanwhile
    ids.push_back(std::string(r.json().as_object().at("id").as_string()));
  }
  return ids;
}

// After the crash: restart, everything completes, nothing twice.
// The node may have stored an item whose 201 the kill cut off: what is
// checked is every item it has, which must include every one it answered.
void check_recovery(server_process& srv, fake_provider& fake, const std::vector<std::string>& answered,
                    const std::string& what) {
  INFO("crash at " << what);
  srv.clear_env();
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  const auto admin = make_token("root", {"*"}, "admin");
  std::vector<std::string> ids;
  const auto listed = get_object(c, "/api/v1/items?workspace=acme&limit=100", token);
  for (const auto& v : listed.at("items").as_array())
    ids.push_back(std::string(v.as_object().at("id").as_string()));
  for (const auto& id : answered) CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());
  CHECK(ids.size() <= answered.size() + 1);  // at most the one POST in flight
  REQUIRE(wait_terminal(c, token, ids, 60s));
  const auto count = static_cast<std::int64_t>(ids.size());
  for (const auto& id : ids) {
    CHECK(status_of(c, token, id) == "completed");
    CHECK(runs_of(history_of(c, token, id), "sentiment") == 1);  // one attempt, waiting across the crash
  }
  auto s = get_object(c, "/api/admin/legacy/summary", admin).at("summary").as_object();
  CHECK(n(s, "processing_complete") == count);
  CHECK(n(s, "processing_failed") == 0);
  auto stats = fake.stats();
  CHECK(n(stats, "custom_ids") == count);
  CHECK(n(stats, "custom_ids_in_several_batches") == 0);
  // Every batch at the provider is one of ours, recorded once.
  auto ours = get_object(c, "/api/v1/admin/batches?limit=100", admin);
  CHECK(ours.at("batches").as_array().size() == stats.at("batches").as_array().size());
  std::int64_t mapped = 0;
  for (const auto& b : ours.at("batches").as_array()) {
    CHECK(b.as_object().at("status").as_string() == "PROCESSED");
    mapped += b.as_object().at("counts").as_object().at("mapped_complete").as_int64();
  }
  CHECK(mapped == count);
  // Usage is counted when a line is mapped: once per request.
  CHECK(n(ours.at("usage_last_30_days").as_object(), "requests") == count);
}

void crash_at_failpoint(const std::string& point) {
  fake_provider fake;
  temp_dir dir;
  server_process srv(dir, crash_config(fake));
  srv.set_env("PIPEWRIGHT_FAILPOINT", point);
  srv.start();
  REQUIRE(srv.wait_ready());
  auto ids = submit_all(srv.port(), make_token("ada", {"acme"}));
  REQUIRE(ids.size() > 0);
  auto code = srv.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 128 + SIGKILL);
  CHECK(srv.log().find("event=failpoint.hit name=" + point) != std::string::npos);
  check_recovery(srv, fake, ids, point);
}

// The fake holds the answer of a call (its effect done or not yet); the
// test kills the node while it waits for it.
void crash_while_held(const std::string& hold, const std::string& what) {
  fake_provider fake;
  fake.control("{\"hold\": " + hold + "}");
  temp_dir dir;
  server_process srv(dir, crash_config(fake));
  srv.start();
  REQUIRE(srv.wait_ready());
  auto ids = submit_all(srv.port(), make_token("ada", {"acme"}));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (n(fake.stats(), "held") == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE(n(fake.stats(), "held") == 1);
  srv.kill9();
  fake.release();
  check_recovery(srv, fake, ids, what);
}

}  // namespace

TEST_CASE("kill -9 after a batch and its requests' links are recorded, before the upload") { crash_at_failpoint("batch.recorded"); }
TEST_CASE("kill -9 between the upload and its record (the file exists at the provider)") { crash_at_failpoint("batch.uploaded"); }
TEST_CASE("kill -9 between the upload's record and the batch's creation") { crash_at_failpoint("batch.upload_recorded"); }
TEST_CASE("kill -9 between the batch's creation and its record (the batch exists at the provider)") {
  crash_at_failpoint("batch.created");
}
TEST_CASE("kill -9 after a status is mirrored") { crash_at_failpoint("poll.mirrored"); }
TEST_CASE("kill -9 between the download and the mapping") { crash_at_failpoint("poll.downloaded"); }
TEST_CASE("kill -9 between two mapping writes") { crash_at_failpoint("poll.mapped_chunk"); }
TEST_CASE("kill -9 after the batch is PROCESSED, before its items are woken") { crash_at_failpoint("poll.processed"); }
TEST_CASE("kill -9 while the provider holds the answer to the upload (the file is stored)") {
  crash_while_held(R"({"method": "POST", "path": "/v1/files", "when": "after"})", "upload answer held");
}
TEST_CASE("kill -9 while the provider holds the answer to the batch's creation (the batch exists)") {
  crash_while_held(R"({"method": "POST", "path": "/v1/batches", "when": "after"})", "create answer held");
}
TEST_CASE("kill -9 while the provider holds the output file's download") {
  crash_while_held(R"({"method": "GET", "path": "/v1/files/file-", "when": "after"})", "download held");
}
