// What a node knows of the cluster: the members etcd holds (each under its
// node's lease, so a dead node drops out after the TTL), the shard map
// (where each slot's records live; it survives its node's death), who holds
// each slot's lease (who serves it), drain requests and handoffs under way.
// An immutable snapshot, rebuilt from one etcd range per change; readers
// take a shared_ptr and never lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace pw::cluster {

struct member_info {
  std::string node;
  std::string peer_host;
  std::uint16_t peer_port = 0;
  std::string http;  // the node's HTTP address, for operators
};

struct handoff_info {
  std::string from, to;
  std::int64_t since_ms = 0;
};

struct cluster_view {
  std::int64_t revision = 0;
  std::uint64_t read_seq = 0;  // which of the control plane's reads made it (control::reads_started)
  std::map<std::string, member_info> members;  // alive: their lease holds
  std::vector<std::string> shard;              // by slot: the node whose store holds it ("" none yet)
  std::vector<std::string> lease;              // by slot: the node serving it now ("" none)
  std::set<std::string> drain;                 // nodes asked to give all their slots away
  std::map<std::uint32_t, handoff_info> handoffs;
  // Members that may take slots: alive and not drained, sorted.
  std::vector<std::string> targets() const;
  bool alive(const std::string& node) const { return members.count(node) > 0; }
};

// etcd keys under /pipewright/<cluster>/.
struct etcd_keys {
  std::string root;  // "/pipewright/<cluster>/"
  std::string member(const std::string& node) const { return root + "members/" + node; }
  std::string shard(std::uint32_t slot) const { return root + "shards/" + std::to_string(slot); }
  std::string lease(std::uint32_t slot) const { return root + "leases/" + std::to_string(slot); }
  std::string drain(const std::string& node) const { return root + "drain/" + node; }
  std::string handoff(std::uint32_t slot) const { return root + "handoffs/" + std::to_string(slot); }
};

// This node's part of each slot, read by the HTTP gate and the store
// writer on their own threads.
enum class slot_state : std::uint8_t {
  none,     // not ours
  serving,  // we hold its lease (valid until the lease deadline)
  leaving,  // being handed off: no new work, requests wait
  joining,  // records arriving from another node
};

class slot_table {
 public:
  explicit slot_table(std::uint32_t slots) : n_(slots), states_(new std::atomic<std::uint8_t>[slots]) {
    for (std::uint32_t i = 0; i < slots; ++i) states_[i] = 0;
  }
  slot_state get(std::uint32_t s) const noexcept {
    return s < n_ ? static_cast<slot_state>(states_[s].load(std::memory_order_acquire)) : slot_state::none;
  }
  void set(std::uint32_t s, slot_state v) noexcept {
    if (s < n_) states_[s].store(static_cast<std::uint8_t>(v), std::memory_order_release);
  }
  std::uint32_t size() const noexcept { return n_; }

 private:
  std::uint32_t n_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> states_;
};

}  // namespace pw::cluster
