// The cluster agent (DESIGN §3, §8): one actor per node that talks to the
// other nodes' agents over CAF's middleman. It keeps an authenticated link
// to every live member (found in etcd), monitors each, and carries:
//   - forwarded HTTP requests, in one hop, each bounded by
//     cluster.forward_timeout_ms and failed at once (503) when the peer is lost;
//   - events: the outbox of rooms whose log lives elsewhere is shipped to
//     their node, which gives them their seq once and pushes each committed
//     event to every node holding a socket of the room; replays of a room's
//     log are read from its node;
//   - handoffs: a slot's records in acknowledged chunks.
// The door is the only published actor: it hands the agent's handle to a
// node that proves it knows the cluster secret, and the agent drops every
// message from a node that did not.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/node_id.hpp>

#include "actors/runtime.hpp"
#include "cluster/control.hpp"
#include "cluster/view.hpp"
#include "net/cluster_routing.hpp"
#include "net/http_types.hpp"
#include "store/database.hpp"
#include "store/handoff.hpp"

namespace pw::cluster {

// Nodes that proved the secret at our door, by CAF node id.
class trusted_nodes {
 public:
  void add(const caf::node_id& id, const std::string& node);
  std::optional<std::string> name_of(const caf::node_id& id) const;

 private:
  mutable std::mutex mu_;
  std::map<caf::node_id, std::string> nodes_;
};

// Which peers have a link up (read by the HTTP gate's routing).
class link_status {
 public:
  bool up(const std::string& node) const {
    std::lock_guard lock(mu_);
    return up_.count(node) > 0;
  }
  // Whether the link to `node` was up and broke (until it is up again):
  // requests for it then fail at once instead of waiting for a connection.
  bool lost(const std::string& node) const {
    std::lock_guard lock(mu_);
    return lost_.count(node) > 0;
  }
  void set(const std::string& node, bool up) {
    std::lock_guard lock(mu_);
    if (up) {
      up_.insert(node);
      lost_.erase(node);
    } else if (up_.erase(node)) {
      lost_.insert(node);
    }
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> up_, lost_;
};

// Slots whose records are arriving on this node, and what arrived.
class imports {
 public:
  void begin(std::uint64_t handoff, const std::string& from, const std::vector<std::uint32_t>& slots);
  void add(std::uint64_t handoff, const store::handoff_scan& what);
  // The handoff ended: its slots wait for the shard map to say whose they
  // are (settle); those the giver says it did not move are returned, to purge.
  // `read_seq`: only a view read after this moment (control::reads_started()
  // + 1) may settle them: an older one may not show the giver's commit yet.
  std::vector<std::uint32_t> end(std::uint64_t handoff, const std::vector<std::uint32_t>& committed, std::uint64_t read_seq);
  // The giver was lost mid-way: its handoffs' slots wait for the shard map too.
  void abandon(const std::string& node, std::uint64_t read_seq);
  // The view may settle the slot (it was read late enough).
  bool may_settle(std::uint32_t slot, std::uint64_t view_read_seq) const;
  bool arriving(std::uint32_t slot) const;
  // Slots whose records arrived and wait for the shard map.
  std::vector<std::uint32_t> unsettled() const;
  // The slot is settled (acquired, or purged): the workspaces that arrived for it.
  std::set<std::string> settle(std::uint32_t slot, std::uint32_t slot_count);

 private:
  struct running {
    std::string from;
    std::vector<std::uint32_t> slots;
    std::set<std::string> workspaces;
  };
  mutable std::mutex mu_;
  std::map<std::uint64_t, running> running_;
  std::set<std::uint32_t> unsettled_;
  std::map<std::uint32_t, std::uint64_t> settle_after_;  // slot -> first view read_seq that may settle it
  std::set<std::string> workspaces_;  // of unsettled slots
};

struct agent_env {
  const core::cluster_config* cfg = nullptr;
  actors::runtime* rt = nullptr;
  const store::database* db = nullptr;
  slot_table* slots = nullptr;
  control* ctl = nullptr;
  std::shared_ptr<trusted_nodes> trusted;
  std::shared_ptr<imports> arriving;
  std::shared_ptr<link_status> links;
  // Runs a forwarded request here (the HTTP gate's local path).
  std::function<void(net::http_request, net::responder)> serve_forwarded;
  // Requests waiting for a slot may go on (a view or slot changed).
  std::function<void()> wake;
  // Erases these slots' records here (a handoff this node did not complete).
  std::function<void(std::vector<std::uint32_t>)> purge;
  // Held by a purge between checking a slot's state and queueing its
  // erasure, and by an import between marking the slot arriving and
  // queueing its records: an erasure never lands after records that came back.
  std::shared_ptr<std::mutex> purge_mu = std::make_shared<std::mutex>();
};

caf::actor spawn_agent(caf::actor_system& sys, std::shared_ptr<agent_env> env);
caf::actor spawn_door(caf::actor_system& sys, std::shared_ptr<agent_env> env, caf::actor agent);

// What other threads ask of the agent (local messages).
struct fwd_job {
  std::string node;
  net::http_request request;
  net::responder respond;
};
struct subscribe_job {
  std::vector<std::string> rooms;
  std::function<void(bool ok)> done;  // once every room's node accepted; false: one could not be asked
};
struct replay_job {
  std::string room;
  std::uint64_t after = 0;
  std::size_t limit = 0;
  actors::replay_callback done;
};
// A handoff round run by a thread of its own (node.cpp): chunks go out
// through the agent, acknowledgements come back to `ack`.
struct handoff_out {
  std::uint64_t id = 0;
  std::string to;
  std::vector<std::uint32_t> slots;
  std::function<void(bool ok, std::uint64_t seq)> ack;  // (false, 0): the target was lost
};

void forward(const caf::actor& agent, std::shared_ptr<fwd_job> job);
void subscribe(const caf::actor& agent, std::shared_ptr<subscribe_job> job);
void unsubscribe(const caf::actor& agent, std::string room);
void replay(const caf::actor& agent, std::shared_ptr<replay_job> job);
void view_changed(const caf::actor& agent, std::shared_ptr<const cluster_view> v);
void ship_outbox(const caf::actor& agent);
void tick(const caf::actor& agent);
void slots_lost(const caf::actor& agent, std::vector<std::uint32_t> slots);
void handoff_begin(const caf::actor& agent, std::shared_ptr<handoff_out> h);
void handoff_chunk(const caf::actor& agent, std::uint64_t id, std::uint64_t seq, std::vector<store::handoff_record> records);
void handoff_end(const caf::actor& agent, std::uint64_t id, std::vector<std::uint32_t> committed);

}  // namespace pw::cluster
