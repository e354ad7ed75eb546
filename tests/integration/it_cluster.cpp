// A cluster of real nodes (docs/cluster.md): one etcd (Debian etcd-server)
// and three `pipewright serve` processes on 127.0.0.1, each with its own
// temp dir and free ports, started by the test.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "core/cluster.hpp"
#include "etcd.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t slots = 16;
const std::string cluster_secret = "cluster-test-secret-0123456789";

std::string node_config(const std::string& cluster, const std::string& node, const std::string& etcd,
                        const std::string& backend = "synthetic") {
  return config_builder()
      .backend(backend)
      .section("cluster", "enabled = true\nname = \"" + cluster + "\"\nnode = \"" + node + "\"\netcd = [\"" + etcd +
                              "\"]\nlisten = \"127.0.0.1:0\"\nsecret = \"" + cluster_secret + "\"\nslots = " +
                              std::to_string(slots) +
                              "\nlease_ttl_s = 3\nheartbeat_ms = 200\npeer_timeout_ms = 1000\nforward_timeout_ms = 3000\n"
                              "handoff_wait_ms = 2000\n")
      .str();
}

struct member {
  std::string name;
  std::unique_ptr<temp_dir> dir = std::make_unique<temp_dir>();
  std::unique_ptr<server_process> proc;
};

// One etcd and `n` nodes named n1..n<n>, all started.
struct cluster_under_test {
  temp_dir dir;
  etcd_process etcd{dir};
  std::string name = "t" + std::to_string(free_port());
  std::vector<member> nodes;
  std::string admin = make_token("ops", {"*"}, "admin");

  explicit cluster_under_test(int n, int started = -1, const std::string& backend = "synthetic") {
    etcd.start();
    for (int i = 1; i <= n; ++i) {
      member m;
      m.name = "n" + std::to_string(i);
      m.proc = std::make_unique<server_process>(*m.dir, node_config(name, m.name, etcd.endpoint(), backend));
      nodes.push_back(std::move(m));
    }
    for (int i = 0; i < (started < 0 ? n : started); ++i) nodes[i].proc->start();
    for (int i = 0; i < (started < 0 ? n : started); ++i) {
      const bool ready = nodes[i].proc->wait_ready(30s);
      INFO(nodes[i].name << " not ready in 30 s; its log:\n" << nodes[i].proc->log());
      REQUIRE(ready);
    }
  }
  server_process& at(int i) { return *nodes[i].proc; }

  boost::json::object status(int i) {
    http c(at(i).port());
    return get_object(c, "/api/v1/admin/cluster", admin);
  }
  // Waits until node i sees `alive` members and every slot served by one of them.
  bool settled(int i, std::size_t alive, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      http c(at(i).port());
      auto r = c.get("/api/v1/admin/cluster", admin);
      last = std::to_string(r.status) + " " + r.body;
      if (r.status == 200) {
        auto s = r.json().as_object();
        // Settled: every slot is kept and served where rendezvous hashing
        // over the live, undrained members puts it, and nothing moves.
        std::vector<std::string> targets;
        for (const auto& m : s.at("members").as_array())
          if (m.as_object().at("alive").as_bool() && !m.as_object().at("draining").as_bool())
            targets.push_back(std::string(m.as_object().at("node").as_string()));
        std::sort(targets.begin(), targets.end());
        bool all = targets.size() == alive && s.at("handoffs").as_array().empty();
        const auto& lease = s.at("lease").as_array();
        const auto& shard = s.at("shard").as_array();
        for (std::uint32_t slot = 0; all && slot < lease.size(); ++slot) {
          const auto want = pw::core::rendezvous_owner(slot, targets);
          all = lease.at(slot).as_string() == want && shard.at(slot).as_string() == want;
        }
        if (all) return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    UNSCOPED_INFO("n" << i + 1 << " did not settle; its last view: " << last << "\n" << cluster_log());
    return false;
  }
  // The nodes' ownership and handoff log lines, for a failure's report.
  std::string cluster_log() const {
    std::string out;
    static const std::regex wanted("event=(shard|handoff|cluster|member|peer)[^ ]*");
    for (const auto& m : nodes) {
      if (!m.proc) continue;
      std::istringstream lines(m.proc->log());
      for (std::string line; std::getline(lines, line);)
        if (std::regex_search(line, wanted)) out += m.name + ": " + line + "\n";
    }
    return out;
  }
  bool all_settled(std::size_t alive, std::chrono::milliseconds timeout = 30s) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].proc->running() && !settled(static_cast<int>(i), alive, timeout)) return false;
    return true;
  }
  // The node (by name) that serves a workspace now, from node i's view.
  std::string owner_of(int i, const std::string& workspace) {
    auto s = status(i);
    auto slot = pw::core::slot_of_workspace(workspace, slots);
    return std::string(s.at("lease").as_array().at(slot).as_string());
  }
  int index_of(const std::string& node) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i].name == node) return static_cast<int>(i);
    return -1;
  }
};

std::vector<std::string> workspaces(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("ws-" + std::to_string(i));
  return out;
}

struct shard_event {
  std::string node;
  std::uint32_t slot;
  std::int64_t revision;
  bool acquired;
};

// event=shard.acquired / shard.released lines with their etcd revision.
std::vector<shard_event> shard_events(const std::string& log) {
  std::vector<shard_event> out;
  const std::regex re(R"(event=shard\.(acquired|released) slot=(\d+) node=(\S+) revision=(\d+))");
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    out.push_back({(*it)[3], static_cast<std::uint32_t>(std::stoul((*it)[2])), std::stoll((*it)[4]), (*it)[1] == "acquired"});
  return out;
}

// No slot was held by two nodes at once: between two acquisitions of a slot
// by different nodes, the first one released it (by etcd revision).
void require_single_owners(cluster_under_test& c) {
  std::vector<shard_event> all;
  for (auto& m : c.nodes) {
    auto e = shard_events(m.proc->log());
    all.insert(all.end(), e.begin(), e.end());
  }
  std::map<std::uint32_t, std::vector<shard_event>> by_slot;
  for (auto& e : all) by_slot[e.slot].push_back(e);
  std::size_t acquisitions = 0;
  for (auto& [slot, events] : by_slot) {
    std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.revision < b.revision; });
    const shard_event* holder = nullptr;
    for (const auto& e : events) {
      if (e.acquired) {
        ++acquisitions;
        INFO("slot " << slot << " acquired by " << e.node << " at revision " << e.revision << " while "
                     << (holder ? holder->node : std::string("-")) << " held it");
        REQUIRE((holder == nullptr || holder->node == e.node));
        holder = &e;
      } else if (holder && holder->node == e.node) {
        holder = nullptr;
      }
    }
  }
  REQUIRE(acquisitions >= slots);
}

}  // namespace

TEST_CASE("three nodes on one etcd: each slot served by one node, `cluster status` from any node, requests forwarded in one hop") {
  cluster_under_test c(3);
  REQUIRE(c.settled(0, 3));
  // Every node sees the same members and the same owner for each slot.
  auto s0 = c.status(0);
  for (int i = 1; i < 3; ++i) {
    REQUIRE(c.settled(i, 3));
    REQUIRE(c.status(i).at("lease") == s0.at("lease"));
  }
  std::map<std::string, int> serving;
  for (const auto& l : s0.at("lease").as_array()) ++serving[std::string(l.as_string())];
  REQUIRE(serving.size() == 3);  // 16 slots over 3 nodes by rendezvous hashing: each has some

  // `pipewright cluster status` shows the three members.
  const std::string out_file = c.dir.file("status.txt");
  const std::string cmd = std::string(binary_path()) + " cluster status --url http://127.0.0.1:" +
                          std::to_string(c.at(1).port()) + " --token " + c.admin + " > " + out_file + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto text = read_file(out_file);
  INFO(text);
  for (auto n : {"n1", "n2", "n3"}) REQUIRE(text.find(n) != std::string::npos);

  // Submit to every node; each item lives on its workspace's node and reads
  // the same from every node.
  const auto user = make_token("alice");
  std::vector<std::pair<std::string, std::string>> items;  // id, workspace
  for (int i = 0; i < 3; ++i) {
    http h(c.at(i).port());
    for (const auto& ws : workspaces(9)) {
      auto r = h.post("/api/v1/items", item_body(ws, "the export button crashes the app"), user);
      INFO(r.status << " " << r.body);
      REQUIRE(r.status == 201);
      REQUIRE(r.header("X-Pipewright-Node") == c.owner_of(0, ws));
      items.emplace_back(std::string(r.json().as_object().at("id").as_string()), ws);
    }
  }
  for (int i = 0; i < 3; ++i) {
    http h(c.at(i).port());
    std::vector<std::string> ids;
    for (auto& [id, ws] : items) ids.push_back(id);
    REQUIRE(wait_terminal(h, user, ids, 60s));
    for (auto& [id, ws] : items) {
      auto r = h.get("/api/v1/items/" + id, user);
      REQUIRE(r.status == 200);
      REQUIRE(r.header("X-Pipewright-Node") == c.owner_of(0, ws));
      REQUIRE(r.json().as_object().at("status").as_string() == "completed");
    }
  }
  // A listing that spans workspaces gathers from every node.
  http h(c.at(2).port());
  auto page = get_object(h, "/api/v1/items?limit=200", user);
  REQUIRE(page.at("items").as_array().size() == items.size());
  require_single_owners(c);
}

TEST_CASE("a user's events reach the user's socket on any node exactly once in seq order and replay the same from another node") {
  cluster_under_test c(3);
  REQUIRE(c.all_settled(3));
  const auto user = make_token("bob");
  ws_client live(c.at(2).port(), user, ws_options{0});
  REQUIRE(live.connected());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    http h(c.at(i).port());
    for (const auto& ws : workspaces(6)) ids.push_back(submit(h, user, ws, "refund was never processed"));
  }
  auto completions = [&](const std::vector<boost::json::object>& frames) {
    std::map<std::string, int> n;
    for (const auto& f : frames)
      if (f.at("type").as_string() == "item.completed") ++n[std::string(f.at("item_id").as_string())];
    return n;
  };
  REQUIRE(live.wait_for([&](const auto& frames) { return completions(frames).size() == ids.size(); }, 60s));
  std::this_thread::sleep_for(300ms);  // a duplicate would arrive now
  auto frames = live.frames();
  std::uint64_t last = 0;
  for (const auto& f : frames) {
    auto seq = static_cast<std::uint64_t>(f.at("seq").as_int64());
    REQUIRE(seq > last);
    last = seq;
  }
  for (auto& [id, n] : completions(frames)) REQUIRE(n == 1);
  // The same log, replayed from another node.
  ws_client replay(c.at(0).port(), user, ws_options{0});
  REQUIRE(replay.wait_for([&](const auto& f) { return f.size() >= frames.size(); }, 30s));
  auto again = replay.frames();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    REQUIRE(again[i].at("seq") == frames[i].at("seq"));
    REQUIRE(again[i].at("type") == frames[i].at("type"));
  }
}

TEST_CASE("kill -9 of a node under load: the others serve with zero errors, its workspaces answer 503 with Retry-After, its items finish after restart") {
  cluster_under_test c(3);
  REQUIRE(c.all_settled(3));
  const auto user = make_token("carol");
  // Workspaces by the node that serves them.
  std::map<std::string, std::vector<std::string>> by_node;
  for (const auto& ws : workspaces(24)) by_node[c.owner_of(0, ws)].push_back(ws);
  REQUIRE(by_node.size() == 3);
  const std::string victim = "n3";
  REQUIRE(!by_node[victim].empty());

  // Items accepted by the victim, slowed down so that some are unfinished at the kill.
  std::vector<std::string> victim_items;
  {
    http h(c.at(0).port());
    for (int round = 0; round < 10; ++round)
      for (const auto& ws : by_node[victim]) victim_items.push_back(submit(h, user, ws, "the app is slow since the update"));
  }
  c.at(2).kill9();

  // The others keep serving their own workspaces with no error.
  int ok = 0, errors = 0, unavailable = 0;
  const auto until = std::chrono::steady_clock::now() + 6s;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 2; ++i) {
      http h(c.at(i).port());
      for (const auto& [node, list] : by_node) {
        for (const auto& ws : list) {
          auto r = h.post("/api/v1/items", item_body(ws, "checkout fails"), user);
          if (node == victim) {
            if (r.status == 503) {
              ++unavailable;
              REQUIRE(r.error_code() == "UNAVAILABLE");
              REQUIRE(!r.header("Retry-After").empty());
            } else {
              INFO("a dead node's workspace answered " << r.status << " " << r.body);
              REQUIRE(r.status == 503);
            }
          } else if (r.status == 201) {
            ++ok;
          } else {
            ++errors;
            INFO(r.status << " " << r.body);
            CHECK(r.status == 201);
          }
        }
      }
    }
  }
  INFO("ok " << ok << " errors " << errors << " unavailable " << unavailable);
  REQUIRE(errors == 0);
  REQUIRE(ok > 0);
  REQUIRE(unavailable > 0);

  // Back: every item it had accepted finishes.
  c.at(2).start();
  REQUIRE(c.at(2).wait_ready(30s));
  REQUIRE(c.settled(0, 3));
  http h(c.at(1).port());
  REQUIRE(wait_terminal(h, user, victim_items, 60s));
  require_single_owners(c);
}

TEST_CASE("etcd restarted: nodes keep serving what they own within the lease TTL and register again") {
  cluster_under_test c(2);
  REQUIRE(c.all_settled(2));
  const auto user = make_token("dave");
  c.etcd.kill9();
  // Within the TTL (3 s) the nodes still serve their slots (and forward to each other).
  http h(c.at(0).port());
  std::string local_ws;
  for (const auto& ws : workspaces(16)) {
    auto r = h.post("/api/v1/items", item_body(ws, "dark mode please"), user);
    if (r.status == 201) local_ws = ws;
    REQUIRE((r.status == 201 || r.status == 503));
  }
  REQUIRE(!local_ws.empty());
  // Past the TTL a node cannot know its leases hold: it stops serving (503),
  // so that no other node could ever serve a slot beside it.
  std::this_thread::sleep_for(4s);
  for (int i = 0; i < 2; ++i) {
    http x(c.at(i).port());
    auto r = x.post("/api/v1/items", item_body(local_ws, "while etcd is away"), user);
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 503);
    REQUIRE(!r.header("Retry-After").empty());
  }
  c.etcd.start();
  REQUIRE(c.settled(0, 2, 30s));
  REQUIRE(c.settled(1, 2, 30s));
  for (int i = 0; i < 2; ++i) {
    http x(c.at(i).port());
    for (const auto& ws : workspaces(8)) submit(x, user, ws, "after etcd came back");
  }
  require_single_owners(c);
}

TEST_CASE("a node joins under load: its slots are handed off with no item lost or run twice and a drain moves them back") {
  cluster_under_test c(3, 2);
  REQUIRE(c.all_settled(2));
  const auto user = make_token("erin");
  std::mutex mu;
  std::vector<std::string> accepted;
  std::map<int, int> refused;  // status -> count
  std::atomic<bool> stop{false};
  std::thread load([&] {
    http h(c.at(0).port());
    int i = 0;
    while (!stop) {
      const auto ws = "ws-" + std::to_string(i++ % 24);
      auto r = h.post("/api/v1/items", item_body(ws, "please add an export to csv"), user);
      std::lock_guard lock(mu);
      if (r.status == 201) accepted.push_back(std::string(r.json().as_object().at("id").as_string()));
      else ++refused[r.status];
    }
  });
  std::this_thread::sleep_for(1s);
  c.at(2).start();
  REQUIRE(c.at(2).wait_ready(30s));
  REQUIRE(c.settled(0, 3, 60s));
  std::this_thread::sleep_for(500ms);
  auto lease = c.status(0).at("lease").as_array();
  REQUIRE(std::count(lease.begin(), lease.end(), boost::json::value("n3")) > 0);  // n3 serves the slots it won

  // Drain n3 (from the CLI, asking n2): its slots go back to n1 and n2.
  const std::string cmd = std::string(binary_path()) + " cluster drain n3 --url http://127.0.0.1:" +
                          std::to_string(c.at(1).port()) + " --token " + c.admin + " > /dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool drained = false;
  while (!drained && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    auto s = c.status(0);
    auto l = s.at("lease").as_array();
    drained = s.at("handoffs").as_array().empty() && std::count(l.begin(), l.end(), boost::json::value("n3")) == 0 &&
              std::count(l.begin(), l.end(), boost::json::value("")) == 0;
  }
  REQUIRE(drained);
  stop = true;
  load.join();
  INFO("accepted " << accepted.size() << ", refused " << refused.size() << " kinds");
  for (auto& [status, n] : refused) {
    INFO("refused " << n << " with " << status);
    REQUIRE(status == 503);  // while a slot moves: wait or 503, nothing else
  }
  REQUIRE(accepted.size() > 20);
  // Every accepted item finishes, each stage ran once.
  http h(c.at(1).port());
  REQUIRE(wait_terminal(h, user, accepted, 90s));
  for (const auto& id : accepted) {
    INFO(id);
    REQUIRE(status_of(h, user, id) == "completed");
    auto history = history_of(h, user, id);
    INFO(boost::json::serialize(history));
    for (const auto& [stage, st] : stage_statuses(h, user, id)) {
      if (runs_of(history, stage) != 1) UNSCOPED_INFO(c.cluster_log());
      REQUIRE(runs_of(history, stage) == 1);
    }
  }
  require_single_owners(c);
}

TEST_CASE("a handoff moves the built-in AI's state: a duplicate submitted after the move is found on the new node") {
  cluster_under_test c(2, 1, "builtin");
  REQUIRE(c.all_settled(1));
  const auto user = make_token("frank");
  // One item per workspace on n1 (n1 holds every slot), finished.
  std::map<std::string, std::string> first;
  http h1(c.at(0).port());
  for (const auto& ws : workspaces(16)) first[ws] = submit(h1, user, ws, "Exporting a project to CSV drops the due date column.");
  std::vector<std::string> ids;
  for (auto& [ws, id] : first) ids.push_back(id);
  REQUIRE(wait_terminal(h1, user, ids, 60s));
  // n2 joins and takes the slots it wins, with their records and stage state.
  c.at(1).start();
  REQUIRE(c.at(1).wait_ready(30s));
  REQUIRE(c.all_settled(2, 60s));
  std::size_t moved = 0;
  for (auto& [ws, id] : first) {
    if (c.owner_of(0, ws) != "n2") continue;
    ++moved;
    // The first item reads the same, from n2.
    auto r = h1.get("/api/v1/items/" + id, user);
    REQUIRE(r.status == 200);
    REQUIRE(r.header("X-Pipewright-Node") == "n2");
    // A paraphrase: n2's duplicate stage knows the first report.
    auto again = submit(h1, user, ws, "The CSV export is missing the due date column.");
    REQUIRE(wait_status(h1, user, again, "completed", 30s));
    auto item = get_object(h1, "/api/v1/items/" + again, user);
    INFO(boost::json::serialize(item));
    const auto& dup = item.at("stages").as_object().at("duplicate").as_object().at("result").as_object();
    REQUIRE(dup.at("duplicate_of").is_string());
    REQUIRE(dup.at("duplicate_of").as_string() == id);
  }
  REQUIRE(moved > 0);
  require_single_owners(c);
}
