// The cluster's plain-C++ rules (DESIGN §8): the config of a node in a
// cluster, the slots workspaces and user rooms hash to, the slot an item id
// carries, and rendezvous hashing of slots over nodes. No network, etcd or
// actor types: the agent (src/cluster) and the tests share these.
//
// A cluster has a fixed number of slots (cluster.slots). A workspace lives
// in the slot its name hashes to, and so does each user's event log (the
// user's "home"); every record of a workspace or a room moves with its slot.
// Item ids made in a cluster carry their workspace's slot (10 bits of the
// ULID's random part), so any node routes a request for an item in one hop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::core {

using millis_t = std::int64_t;

struct cluster_config {
  bool enabled = false;
  std::string name = "pipewright";  // etcd key prefix /pipewright/<name>/ and CAF's application id
  std::string node;                 // this node's name, unique and stable across restarts
  std::vector<std::string> etcd;    // etcd v3 JSON gateway endpoints, e.g. "http://127.0.0.1:2379"
  std::string peer_host = "127.0.0.1";  // interface for node-to-node traffic (CAF middleman)
  std::uint16_t peer_port = 0;          // 0: any free port (peers learn it from etcd)
  std::string advertise_host;           // host peers connect to; default peer_host
  std::string secret;                   // shared secret that authenticates nodes to each other
  std::uint32_t slots = 128;
  std::int64_t lease_ttl_s = 5;         // etcd lease of the node: its slots stop serving after it
  millis_t heartbeat_ms = 500;          // CAF middleman heartbeat between nodes
  millis_t peer_timeout_ms = 2000;      // a peer silent this long is lost (its requests fail at once)
  millis_t forward_timeout_ms = 5000;   // a forwarded request not answered in this time gets 503
  millis_t handoff_timeout_ms = 30000;  // a handoff whose target stops acknowledging is abandoned
  millis_t handoff_wait_ms = 2000;      // a request for a slot being handed off waits this long, then 503
};

inline constexpr std::uint32_t max_slots = 1024;  // an item id carries 10 bits of slot

std::uint64_t stable_hash(std::string_view s) noexcept;
std::uint32_t slot_of_workspace(std::string_view workspace, std::uint32_t slots) noexcept;
// A user's room (the user id, or "@admins"): where its event log and seq live.
std::uint32_t slot_of_room(std::string_view room, std::uint32_t slots) noexcept;
// The slot an item id made by id_generator::next(now, slot) carries; nullopt
// for a string that is not an id.
std::optional<std::uint32_t> slot_of_item(std::string_view id, std::uint32_t slots) noexcept;

// Rendezvous (highest random weight) hashing: the node with the highest
// score for a slot takes it. Adding a node moves only the slots it wins;
// removing one moves only its own. Empty when `nodes` is empty.
std::string rendezvous_owner(std::uint32_t slot, const std::vector<std::string>& nodes);

bool valid_node_name(std::string_view s) noexcept;  // [A-Za-z0-9._-]{1,64}

}  // namespace pw::core
