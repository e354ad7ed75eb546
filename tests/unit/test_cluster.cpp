// The cluster's plain rules (core/cluster.hpp): slots, ids that carry their
// slot, rendezvous hashing, and the [cluster] config.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/cluster.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"

namespace pw::embedded {
std::string_view pipewright_toml();
}

using namespace pw::core;

TEST_CASE("an id made for a slot carries it and ids of one slot keep increasing") {
  id_generator gen;
  for (std::uint32_t slots : {1u, 16u, 128u, 1024u}) {
    for (std::uint32_t s = 0; s < slots; s += std::max(1u, slots / 64)) {
      std::string last;
      for (int i = 0; i < 50; ++i) {
        auto id = gen.next(1'760'000'000'000 + i / 10, s);
        REQUIRE(id.size() == 26);
        REQUIRE(slot_of_item(id, slots) == s);
        REQUIRE(id > last);
        last = id;
      }
    }
  }
  // Not an id, or a slot beyond the cluster's: no slot.
  REQUIRE_FALSE(slot_of_item("not-an-id", 16).has_value());
  REQUIRE_FALSE(slot_of_item(gen.next(1'760'000'000'000, 1000), 16).has_value());
}

TEST_CASE("rendezvous hashing: a node that joins takes only slots it wins and one that leaves gives only its own") {
  const std::uint32_t slots = 256;
  std::vector<std::string> three{"n1", "n2", "n3"}, four{"n1", "n2", "n3", "n4"};
  std::map<std::string, int> share;
  for (std::uint32_t s = 0; s < slots; ++s) {
    const auto before = rendezvous_owner(s, three), after = rendezvous_owner(s, four);
    REQUIRE((after == before || after == "n4"));
    ++share[after];
    std::vector<std::string> two{"n1", "n2"};
    const auto without = rendezvous_owner(s, two);
    if (before != "n3") REQUIRE(without == before);
  }
  for (const auto& [node, n] : share) REQUIRE(n > slots / 4 / 2);  // every node gets a fair part
  REQUIRE(rendezvous_owner(3, {}).empty());
}

TEST_CASE("workspaces and rooms spread over the slots and a name always lands on the same slot") {
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto ws = "ws-" + std::to_string(i);
    REQUIRE(slot_of_workspace(ws, 64) == slot_of_workspace(ws, 64));
    REQUIRE(slot_of_workspace(ws, 64) < 64);
    seen.insert(slot_of_room(ws, 64));
  }
  REQUIRE(seen.size() == 64);
}

namespace {

std::string error_of(const std::string& toml) {
  char tmpl[] = "/tmp/pw-cluster-config-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::ofstream(tmpl) << toml;
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::string(tmpl), {});
  std::remove(tmpl);
  return cfg ? std::string() : cfg.err().message;
}

}  // namespace

TEST_CASE("the cluster config is off by default and when on its keys are checked by name") {
  auto cfg = load_config(pw::embedded::pipewright_toml(), std::nullopt, {});
  REQUIRE(cfg);
  REQUIRE_FALSE(cfg->cluster.enabled);
  REQUIRE(error_of("[cluster]\nenabled = true\n").find("cluster.node") != std::string::npos);
  REQUIRE(error_of("[cluster]\nenabled = true\nnode = \"a\"\n").find("cluster.etcd") != std::string::npos);
  REQUIRE(error_of("[cluster]\nenabled = true\nnode = \"a\"\netcd = [\"http://127.0.0.1:2379\"]\n").find("cluster.secret") !=
          std::string::npos);
  REQUIRE(error_of("[cluster]\nenabled = true\nnode = \"a b\"\n").find("cluster.node") != std::string::npos);
  REQUIRE(error_of("[cluster]\nslots = 5000\n").find("cluster.slots") != std::string::npos);
  REQUIRE(error_of("[cluster]\nlisten = \"nope\"\n").find("cluster.listen") != std::string::npos);
  REQUIRE(error_of("[cluster]\nbogus = 1\n").find("cluster.bogus") != std::string::npos);
  REQUIRE(error_of("[cluster]\nenabled = true\nnode = \"a\"\netcd = [\"http://127.0.0.1:2379\"]\n"
                   "secret = \"0123456789abcdef0123\"\nlisten = \"127.0.0.1:7400\"\n")
              .empty());
}

TEST_CASE("a cluster node refuses a batch stage at start, by the stage's key") {
  const std::string cluster =
      "[cluster]\nenabled = true\nnode = \"a\"\netcd = [\"http://127.0.0.1:2379\"]\n"
      "secret = \"0123456789abcdef0123\"\nlisten = \"127.0.0.1:7400\"\n";
  const auto err = error_of(cluster + "[pipelines.feedback.stages.sentiment]\nbackend = \"batch\"\n");
  REQUIRE(err.find("pipelines.feedback.stages.sentiment.backend") != std::string::npos);
  REQUIRE(err.find("cluster.enabled") != std::string::npos);
}
