// kill -9 in the middle of a run of assets: after the restart every accepted
// asset finishes, each announced once (its asset_processed is written with
// its end, in one write), its image still there.
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "assets.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("kill -9 mid-run: after the restart every asset finishes, announced exactly once") {
  temp_dir dir;
  fake_worker worker(dir, "--delay-ms 150 --labels " + std::string(PW_TEST_DATA_DIR) + "/images");
  const auto config = config_builder().asset_pipeline(worker_asset_pipeline(worker.url())).str();
  server_process srv(dir, config);
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto user = make_token("crash", {"w1"});
  const auto images = labelled_images();
  std::vector<std::string> ids;
  std::map<std::string, std::string> bytes_of;
  {
    http c(srv.port());
    for (int i = 0; i < 24; ++i) {
      const auto& img = images[static_cast<std::size_t>(i)];
      ids.push_back(upload_ok(c, user, img.bytes, img.category));
      bytes_of[ids.back()] = img.bytes;
    }
    // Some finished, most not.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline &&
           get_object(c, "/api/v1/assets?status=active&limit=200", user).at("assets").as_array().size() < 3)
      std::this_thread::sleep_for(20ms);
  }
  srv.kill9();
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  for (const auto& id : ids) {
    auto a = wait_asset(c, user, id, 60s);
    INFO(id);
    REQUIRE(!a.empty());
    CHECK(std::string(a.at("status").as_string()) == "active");
    CHECK(c.get("/api/v1/assets/" + id + "/image", user).body == bytes_of[id]);
  }
  // The whole log, replayed: one asset_processed per asset.
  ws_client replay(srv.port(), user, {.since = 0});
  REQUIRE(replay.wait_for([&](auto& f) {
    std::size_t n = 0;
    for (const auto& x : f) n += x.at("type").as_string() == "asset_processed";
    return n >= ids.size();
  }, 10s));
  std::this_thread::sleep_for(300ms);
  std::map<std::string, int> times;
  for (const auto& f : replay.frames())
    if (f.at("type").as_string() == "asset_processed") ++times[std::string(f.at("assetId").as_string())];
  CHECK(times.size() == ids.size());
  for (const auto& [id, n] : times) CHECK(n == 1);
}
