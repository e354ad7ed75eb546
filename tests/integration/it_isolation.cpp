// Isolation: 100 users sharing a workspace, each with items and a socket.
// No user can read, list, control or hear about another user's item through
// any route or socket.
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("100 users: nobody reads, lists, controls or hears another user's item") {
  constexpr int users = 100, per_user = 3;
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("theme", "permanent_rate = 0.3\nseed = 7\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());

  std::vector<std::string> tokens;
  std::vector<std::unique_ptr<ws_client>> sockets;
  for (int u = 0; u < users; ++u) {
    tokens.push_back(make_token("user-" + std::to_string(u), {"shared", "own-" + std::to_string(u)}));
    sockets.push_back(std::make_unique<ws_client>(srv.port(), tokens[u]));
    REQUIRE(sockets.back()->connected());
  }
  std::this_thread::sleep_for(200ms);

  std::map<std::string, int> owner_of;
  std::vector<std::vector<std::string>> items_of(users);
  {
    http c(srv.port());
    for (int k = 0; k < per_user; ++k)
      for (int u = 0; u < users; ++u) {
        auto id = submit(c, tokens[u], k == 0 ? "own-" + std::to_string(u) : "shared", "item " + std::to_string(k));
        owner_of[id] = u;
        items_of[u].push_back(id);
      }
    for (int u = 0; u < users; ++u) REQUIRE(wait_terminal(c, tokens[u], items_of[u], 30s));
  }

  http c(srv.port());
  const std::string nobody = "01ARZ3NDEKTSV4RRFFQ69G5FAV";  // an id that does not exist
  auto same_as_missing = [&](const response& r, const std::string& id, const std::string& suffix, const std::string& token) {
    // The answer must not differ from the one for an id that does not exist.
    auto missing = c.get("/api/v1/items/" + nobody + suffix, token);
    auto body = r.body;
    if (auto at = body.find(id); at != std::string::npos) body.replace(at, id.size(), nobody);
    return r.status == missing.status && body == missing.body;
  };
  const std::vector<std::pair<std::string, std::string>> reads = {
      {"GET", ""}, {"GET", "/processing-status"}, {"GET", "/history"}, {"GET", "/checkpoints"}};
  const std::vector<std::pair<std::string, std::string>> controls = {
      {"/pause", "{}"}, {"/resume", "{}"}, {"/cancel", "{}"}, {"/retry", "{}"}, {"/rollback", R"({"stage":"embed"})"}};
  for (int u = 0; u < users; ++u) {
    const int v = (u + 37) % users;  // someone else
    const auto& theirs = items_of[v][1];  // in the shared workspace both may use
    INFO("user-" << u << " trying user-" << v << "'s item " << theirs);
    for (const auto& [method, suffix] : reads) {
      auto r = c.get("/api/v1/items/" + theirs + suffix, tokens[u]);
      CHECK(r.status == 404);
      CHECK(r.error_code() == "NOT_FOUND");
      CHECK(same_as_missing(r, theirs, suffix, tokens[u]));
    }
    for (const auto& [suffix, body] : controls) {
      auto r = c.post("/api/v1/items/" + theirs + suffix, body, tokens[u]);
      CHECK(r.status == 404);
    }
    CHECK(c.send("DELETE", "/api/v1/items/" + theirs, "", {{"Authorization", "Bearer " + tokens[u]}}).status == 404);
    // Another user's own workspace is forbidden outright.
    CHECK(c.get("/api/v1/workspaces/own-" + std::to_string(v) + "/ai/metrics", tokens[u]).status == 403);
    CHECK(c.get("/api/v1/items?workspace=own-" + std::to_string(v), tokens[u]).status == 403);

    // Lists and failed items hold only the user's own.
    auto mine = get_object(c, "/api/v1/items?limit=200", tokens[u]).at("items").as_array();
    CHECK(mine.size() == per_user);
    for (auto& i : mine) CHECK(owner_of.at(std::string(i.at("id").as_string())) == u);
    auto shared = get_object(c, "/api/v1/items?workspace=shared&limit=200", tokens[u]).at("items").as_array();
    CHECK(shared.size() == per_user - 1);
    auto failed = get_object(c, "/api/v1/workspaces/shared/ai/failed-items?limit=200", tokens[u]).at("items").as_array();
    for (auto& i : failed)
      CHECK(owner_of.at(std::string(i.at("id").as_string())) == u);
    CHECK(c.get("/api/v1/admin/dlq", tokens[u]).status == 403);
  }
  // Nothing was changed by the attempts.
  for (int u = 0; u < users; ++u)
    for (auto& id : items_of[u]) {
      auto s = status_of(c, tokens[u], id);
      CHECK((s == "completed" || s == "partial"));
    }

  // Sockets: every frame is about the socket owner's items, live and replayed.
  for (int u = 0; u < users; ++u) {
    for (auto& f : sockets[u]->frames()) {
      auto* id = f.if_contains("item_id");
      REQUIRE(id);
      CHECK(owner_of.at(std::string(id->as_string())) == u);
    }
  }
  for (int u = 0; u < users; u += 9) {
    ws_client replay(srv.port(), tokens[u], {.since = 0});
    REQUIRE(replay.wait_for([&](auto& f) { return f.size() >= sockets[u]->count(); }, 10s));
    for (auto& f : replay.frames()) CHECK(owner_of.at(std::string(f.at("item_id").as_string())) == u);
  }
}
