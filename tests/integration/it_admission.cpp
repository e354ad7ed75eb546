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
