// Rooms: every socket of an item's owner gets its completion exactly once;
// no socket ever gets another user's event.
#include <atomic>
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

TEST_CASE("20 users x 2 sockets, 500 items: each owner socket gets each completion once, nobody else's") {
  constexpr int users = 20, items = 500;
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());

  std::vector<std::string> tokens;
  std::vector<std::unique_ptr<ws_client>> sockets;  // sockets[2u], sockets[2u+1] belong to user u
  for (int u = 0; u < users; ++u) {
    tokens.push_back(make_token("user-" + std::to_string(u), {"shared"}));
    for (int k = 0; k < 2; ++k) {
      sockets.push_back(std::make_unique<ws_client>(srv.port(), tokens[u], ws_options{.token_in_header = k == 1}));
      REQUIRE(sockets.back()->connected());
    }
  }
  // An admin's socket hears its own room and the admins room, not users' items.
  auto admin_token = make_token("admin-1", {"*"}, "admin");
  ws_client admin(srv.port(), admin_token);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // joins are asynchronous

  std::map<std::string, int> owner_of;
  std::vector<std::thread> submitters;
  std::atomic<int> refused{0};
  std::mutex mu;
  for (int t = 0; t < 4; ++t)
    submitters.emplace_back([&, t] {
      http c(srv.port());
      for (int k = t; k < items; k += 4) {
        const int u = (k * 7) % users;
        auto r = c.post("/api/v1/items", item_body("shared", "item " + std::to_string(k) + " for everyone"), tokens[u]);
        if (r.status != 201) {  // Catch is not thread-safe: checked after the join
          ++refused;
          continue;
        }
        std::lock_guard lock(mu);
        owner_of[std::string(r.json().as_object().at("id").as_string())] = u;
      }
    });
  for (auto& t : submitters) t.join();
  REQUIRE(refused == 0);
  REQUIRE(owner_of.size() == static_cast<std::size_t>(items));

  std::map<int, std::set<std::string>> expected;
  for (const auto& [id, u] : owner_of) expected[u].insert(id);
  for (int s = 0; s < users * 2; ++s) {
    const int u = s / 2;
    INFO("socket " << s << " of user-" << u);
    REQUIRE(sockets[s]->wait_for(
        [&](const auto& frames) {
          std::size_t done = 0;
          for (const auto& f : frames) done += f.at("type").as_string() == "item.completed";
          return done >= expected[u].size();
        },
        std::chrono::seconds(30)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late duplicates would show up here

  for (int s = 0; s < users * 2; ++s) {
    const int u = s / 2;
    INFO("socket " << s << " of user-" << u);
    std::map<std::string, int> completions;
    for (const auto& f : sockets[s]->frames()) {
      std::string id(f.at("item_id").as_string());
      REQUIRE(owner_of.count(id));
      CHECK(owner_of[id] == u);  // never another user's event, of any type
      if (f.at("type").as_string() == "item.completed") ++completions[id];
    }
    CHECK(completions.size() == expected[u].size());
    for (const auto& id : expected[u]) CHECK(completions[id] == 1);
  }
  for (const auto& f : admin.frames()) CHECK_FALSE(owner_of.count(std::string(f.at("item_id").as_string())));
}
