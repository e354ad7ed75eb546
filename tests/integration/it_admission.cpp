// Admission: at most actors.max_active items run at once, and workspaces are
// served round robin so one noisy workspace does not starve a quiet one.
#include <algorithm>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;

namespace {

// The most items of `ids` that ran at once, from the server's own
// started_at/completed_at (an item runs over [started_at, completed_at)).
int most_at_once(http& c, const std::string& token, const std::vector<std::string>& ids) {
  std::vector<std::pair<std::string, int>> edges;
  for (const auto& id : ids) {
    auto item = get_object(c, "/api/v1/items/" + id, token);
    edges.emplace_back(std::string(item.at("started_at").as_string()), +1);
    edges.emplace_back(std::string(item.at("completed_at").as_string()), -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times, ends (-1) sort before starts
  int running = 0, most = 0;
  for (const auto& [at, delta] : edges) {
    running += delta;
    most = std::max(most, running);
  }
  return most;
}

std::string completed_at(http& c, const std::string& token, const std::string& id) {
  return std::string(get_object(c, "/api/v1/items/" + id, token).at("completed_at").as_string());
}

}  // namespace

TEST_CASE("no more than max_active items run at once, and the bound is used") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .top("[actors]\nmax_active = 3\n")
                              .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 150\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(submit(c, token, "w", "item " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, ids, std::chrono::seconds(20)));
  // The server's own timestamps: an item runs over [started_at, completed_at).
  std::vector<std::pair<std::string, int>> edges;
  for (const auto& id : ids) {
    auto item = get_object(c, "/api/v1/items/" + id, token);
    edges.emplace_back(std::string(item.at("started_at").as_string()), +1);
    edges.emplace_back(std::string(item.at("completed_at").as_string()), -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times, ends (-1) sort before starts
  int running = 0, most = 0;
  for (const auto& [at, delta] : edges) {
    running += delta;
    most = std::max(most, running);
  }
  CHECK(most == 3);
}

TEST_CASE("round robin over workspaces: a quiet workspace is not stuck behind a noisy one") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .top("[actors]\nmax_active = 1\n")
                              .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 20\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice");
  std::vector<std::string> noisy, quiet;
  for (int i = 0; i < 40; ++i) noisy.push_back(submit(c, token, "noisy", "bulk import row " + std::to_string(i)));
  for (int i = 0; i < 3; ++i) quiet.push_back(submit(c, token, "quiet", "a single complaint " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, noisy, std::chrono::seconds(30)));
  REQUIRE(wait_terminal(c, token, quiet, std::chrono::seconds(5)));

  std::vector<std::string> noisy_done;
  for (const auto& id : noisy) noisy_done.push_back(completed_at(c, token, id));
  std::sort(noisy_done.begin(), noisy_done.end());
  // FIFO would finish the quiet items after all 40 noisy ones; round robin
  // interleaves them: each goes after at most a few noisy items.
  for (const auto& id : quiet) {
    auto at = completed_at(c, token, id);
    auto before = std::lower_bound(noisy_done.begin(), noisy_done.end(), at) - noisy_done.begin();
    INFO("quiet item finished after " << before << " noisy ones");
    CHECK(before <= 10);
  }
}

TEST_CASE("max_active_per_workspace: a noisy workspace gets at most its share, the rest of the slots serve others") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .top("[actors]\nmax_active = 6\nmax_active_per_workspace = 2\n")
                              .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 150\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("alice", {"noisy", "quiet-a", "quiet-b"});
  std::vector<std::string> noisy, quiet;
  for (int i = 0; i < 10; ++i) noisy.push_back(submit(c, token, "noisy", "noisy " + std::to_string(i)));
  for (int i = 0; i < 4; ++i) quiet.push_back(submit(c, token, i % 2 ? "quiet-a" : "quiet-b", "quiet " + std::to_string(i)));
  REQUIRE(wait_terminal(c, token, noisy, std::chrono::seconds(30)));
  REQUIRE(wait_terminal(c, token, quiet, std::chrono::seconds(30)));
  // The noisy workspace never held more than 2 slots, though 6 were there.
  CHECK(most_at_once(c, token, noisy) == 2);
  // The quiet ones, submitted after all ten noisy items, ran beside them:
  // every quiet item finished before the last noisy one.
  std::string last_noisy;
  for (const auto& id : noisy) last_noisy = std::max(last_noisy, completed_at(c, token, id));
  for (const auto& id : quiet) CHECK(completed_at(c, token, id) < last_noisy);
}
