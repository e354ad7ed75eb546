// Each endpoint's happy path and its error paths, table-driven with the
// status and error code asserted; list pagination that stays stable while
// items are inserted; the OpenAPI document matches the router.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

struct call {
  const char* what;
  std::string method, path, body;
  std::string token;
  int status;
  std::string code;  // "" for a success
};

response send(http& c, const call& k) {
  std::map<std::string, std::string> h;
  if (!k.token.empty()) h["Authorization"] = "Bearer " + k.token;
  if (!k.body.empty()) h["Content-Type"] = "application/json";
  return c.send(k.method, k.path, k.body, h);
}

}  // namespace

TEST_CASE("every endpoint: happy path and error paths with status and code") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("theme", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto user = make_token("vera", {"w1"});
  const auto stranger = make_token("walt", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  const auto expired = make_token("vera", {"w1"}, "user", std::chrono::seconds(-60));
  const auto done = submit(c, user, "w1", "theme fails, the rest completes");
  REQUIRE(wait_terminal(c, user, {done}, 10s));
  REQUIRE(status_of(c, user, done) == "partial");
  const std::string item = "/api/v1/items/" + done;
  const std::string missing = "/api/v1/items/01ARZ3NDEKTSV4RRFFQ69G5FAV";

  const std::vector<call> calls = {
      {"health", "GET", "/healthz", "", "", 200, ""},
      {"ready", "GET", "/readyz", "", "", 200, ""},
      {"openapi", "GET", "/api/v1/openapi.json", "", "", 200, ""},
      {"submit", "POST", "/api/v1/items", item_body("w1", "hello"), user, 201, ""},
      {"submit, expired token", "POST", "/api/v1/items", item_body("w1", "hello"), expired, 401, "UNAUTHORIZED"},
      {"submit, workspace not granted", "POST", "/api/v1/items", item_body("w9", "hello"), user, 403, "FORBIDDEN"},
      {"list", "GET", "/api/v1/items?workspace=w1&status=partial&limit=10", "", user, 200, ""},
      {"list, no token", "GET", "/api/v1/items", "", "", 401, "UNAUTHORIZED"},
      {"list, bad status", "GET", "/api/v1/items?status=x", "", user, 400, "VALIDATION_FAILED"},
      {"get", "GET", item, "", user, 200, ""},
      {"get, another user's", "GET", item, "", stranger, 404, "NOT_FOUND"},
      {"get, missing", "GET", missing, "", user, 404, "NOT_FOUND"},
      {"status", "GET", item + "/processing-status", "", user, 200, ""},
      {"status, missing", "GET", missing + "/processing-status", "", user, 404, "NOT_FOUND"},
      {"history", "GET", item + "/history", "", user, 200, ""},
      {"history, another user's", "GET", item + "/history", "", stranger, 404, "NOT_FOUND"},
      {"checkpoints", "GET", item + "/checkpoints", "", user, 200, ""},
      {"checkpoints, missing", "GET", missing + "/checkpoints", "", user, 404, "NOT_FOUND"},
      {"pause, finished item", "POST", item + "/pause", "{}", user, 409, "INVALID_TRANSITION"},
      {"resume, finished item", "POST", item + "/resume", "{}", user, 409, "INVALID_TRANSITION"},
      {"cancel, finished item", "POST", item + "/cancel", "{}", user, 409, "INVALID_TRANSITION"},
      {"pause, missing", "POST", missing + "/pause", "{}", user, 404, "NOT_FOUND"},
      {"retry, a completed stage", "POST", item + "/retry", R"({"stages":["embed"]})", user, 409, "INVALID_TRANSITION"},
      {"retry, bad body", "POST", item + "/retry", R"({"stages":7})", user, 400, "VALIDATION_FAILED"},
      {"rollback, unknown stage", "POST", item + "/rollback", R"({"stage":"nope"})", user, 409, "INVALID_TRANSITION"},
      {"rollback, no stage", "POST", item + "/rollback", "{}", user, 400, "VALIDATION_FAILED"},
      {"delete, another user's", "DELETE", item, "", stranger, 404, "NOT_FOUND"},
      {"metrics", "GET", "/api/v1/workspaces/w1/ai/metrics", "", user, 200, ""},
      {"metrics, not granted", "GET", "/api/v1/workspaces/w2/ai/metrics", "", user, 403, "FORBIDDEN"},
      {"failed items", "GET", "/api/v1/workspaces/w1/ai/failed-items?limit=10", "", user, 200, ""},
      {"failed items, bad limit", "GET", "/api/v1/workspaces/w1/ai/failed-items?limit=x", "", user, 400, "VALIDATION_FAILED"},
      {"retry failed, not granted", "POST", "/api/v1/workspaces/w2/ai/retry-failed", "{}", user, 403, "FORBIDDEN"},
      {"queue", "GET", "/api/v1/admin/queue", "", admin, 200, ""},
      {"queue, not admin", "GET", "/api/v1/admin/queue", "", user, 403, "FORBIDDEN"},
      {"dlq", "GET", "/api/v1/admin/dlq?limit=10", "", admin, 200, ""},
      {"dlq, no token", "GET", "/api/v1/admin/dlq", "", "", 401, "UNAUTHORIZED"},
      {"requeue, not admin", "POST", "/api/v1/admin/dlq/requeue", R"({"all":true})", user, 403, "FORBIDDEN"},
      {"requeue, bad body", "POST", "/api/v1/admin/dlq/requeue", R"({"ids":[1]})", admin, 400, "VALIDATION_FAILED"},
      {"resolve, unknown letter", "POST", "/api/v1/admin/dlq/" + done + ":embed/resolve", "", admin, 404, "NOT_FOUND"},
      {"resolve, not admin", "POST", "/api/v1/admin/dlq/" + done + ":theme/resolve", "", user, 403, "FORBIDDEN"},
      {"routes", "GET", "/api/v1/admin/routes", "", admin, 200, ""},
      {"unknown route", "GET", "/api/v1/nothing", "", user, 404, "NOT_FOUND"},
      {"wrong method", "PATCH", item, "{}", user, 405, "METHOD_NOT_ALLOWED"},
      // Last: these change the item.
      {"retry the failed stage", "POST", item + "/retry", R"({"stages":["theme"]})", user, 200, ""},
      // (Not the retried stage: with permanent_rate 1.0 it may be dead-lettered
      // again before the next request, so "nothing open" would be a race.)
      {"resolve, a stage that never failed", "POST", "/api/v1/admin/dlq/" + done + ":embed/resolve", "", admin, 404,
       "NOT_FOUND"},
      {"delete", "DELETE", item, "", user, 200, ""},
      {"get, deleted", "GET", item, "", user, 404, "NOT_FOUND"},
  };
  for (const auto& k : calls) {
    auto r = send(c, k);
    INFO(k.what << ": " << k.method << " " << k.path << " -> " << r.status << " " << r.body.substr(0, 300));
    CHECK(r.status == k.status);
    CHECK(r.header("Content-Type").find("application/json") == 0);
    if (k.code.empty()) {
      CHECK(r.json().is_object());
    } else {
      CHECK(r.error_code() == k.code);
      if (k.status == 405) CHECK(!r.header("Allow").empty());
    }
  }
}

TEST_CASE("list pagination: newest first, every item once, stable while new items arrive") {
  constexpr int first_batch = 45;
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("xena", {"w1", "w2"});
  std::vector<std::string> ids;
  for (int i = 0; i < first_batch; ++i) ids.push_back(submit(c, token, i % 3 ? "w1" : "w2", "page item " + std::to_string(i)));

  // Keep inserting while paging.
  std::atomic<bool> stop{false};
  // Catch is not thread-safe: the inserter counts its refusals, checked after the join.
  std::atomic<int> refused{0};
  std::thread inserter([&] {
    http c2(srv.port());
    while (!stop)
      if (c2.post("/api/v1/items", item_body("w1", "arrives during paging"), token).status != 201) ++refused;
  });
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = get_object(c, "/api/v1/items?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
    for (auto& i : page.at("items").as_array()) seen.push_back(std::string(i.at("id").as_string()));
    ++pages;
    if (page.at("next_cursor").is_null()) break;
    cursor = std::string(page.at("next_cursor").as_string());
    std::this_thread::sleep_for(10ms);
  }
  stop = true;
  inserter.join();
  CHECK(refused == 0);

  // Every item that existed before paging began, once, in newest-first order.
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());
  for (auto& id : ids) CHECK(unique.count(id) == 1);
  std::vector<std::string> old_in_order;
  for (auto& id : seen)
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) old_in_order.push_back(id);
  CHECK(old_in_order == std::vector<std::string>(ids.rbegin(), ids.rend()));
  CHECK(pages >= first_batch / 7);

  // Filters: workspace w2 holds every third item of the first batch.
  auto w2 = get_object(c, "/api/v1/items?workspace=w2&limit=200", token).at("items").as_array();
  CHECK(w2.size() == (first_batch + 2) / 3);
  for (auto& i : w2) CHECK(i.at("workspace").as_string() == "w2");
}

TEST_CASE("the OpenAPI document and the router list the same routes") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto admin = make_token("root", {"*"}, "admin");

  auto doc = c.get("/api/v1/openapi.json");
  REQUIRE(doc.status == 200);
  auto json = doc.json().as_object();
  CHECK(json.at("openapi").as_string().starts_with("3."));
  std::set<std::string> documented;
  for (const auto& [path, item] : json.at("paths").as_object())
    for (const auto& [key, op] : item.as_object())
      if (key != "parameters" && key != "summary" && key != "description") {
        std::string method(key);
        for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        documented.insert(method + " " + std::string(path));
        // Every operation documents its answers.
        CHECK(op.as_object().at("responses").as_object().size() >= 1);
      }

  std::set<std::string> served;
  const auto routes = get_object(c, "/api/v1/admin/routes", admin).at("routes").as_array();
  for (const auto& r : routes)
    served.insert(std::string(r.at("method").as_string()) + " " + std::string(r.at("path").as_string()));

  for (const auto& r : served) {
    INFO("served but not documented: " << r);
    CHECK(documented.count(r) == 1);
  }
  for (const auto& d : documented) {
    INFO("documented but not served: " << d);
    CHECK(served.count(d) == 1);
  }
  CHECK(served.size() >= 20);

  // Every $ref points at something that exists.
  std::function<void(const boost::json::value&)> refs = [&](const boost::json::value& v) {
    if (v.is_object()) {
      for (const auto& [k, child] : v.as_object()) {
        if (k == "$ref") {
          std::string ref(child.as_string());
          REQUIRE(ref.rfind("#/", 0) == 0);
          const auto whole = doc.json();
          const boost::json::value* at = &whole;
          std::size_t pos = 2;
          while (pos <= ref.size()) {
            auto next = ref.find('/', pos);
            auto part = ref.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
            INFO("$ref " << ref);
            REQUIRE(at->is_object());
            REQUIRE(at->as_object().contains(part));
            at = &at->as_object().at(part);
            if (next == std::string::npos) break;
            pos = next + 1;
          }
        } else {
          refs(child);
        }
      }
    } else if (v.is_array()) {
      for (const auto& child : v.as_array()) refs(child);
    }
  };
  refs(doc.json());
}
