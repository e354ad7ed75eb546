// The node's control plane over etcd, on a thread of its own: it registers
// the node under a lease and keeps the lease alive, watches the cluster's
// keys and rebuilds the view on every change, acquires the lease of every
// slot the shard map gives this node, claims unmapped slots that rendezvous
// hashing gives it, asks for handoffs of slots that hash elsewhere, and
// stops serving every slot the moment its lease could have expired in etcd.
//
// Acquire and release are logged with the etcd revision of the write
// (event=shard.acquired / shard.released), so that the log of every node
// can be checked against etcd's history.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd.hpp"
#include "cluster/view.hpp"
#include "core/cluster.hpp"

namespace pw::cluster {

class control {
 public:
  struct hooks {
    std::function<void(std::shared_ptr<const cluster_view>)> view_changed;
    // We hold the slot's lease now: make it serve (restore, resume its items).
    std::function<void(std::uint32_t slot)> acquired;
    // The slots' leases are gone (the deadline passed, or etcd says so).
    std::function<void(const std::vector<std::uint32_t>& slots)> lost;
    // Starts handing these slots to `target`; false when one is already running.
    std::function<bool(const std::string& target, const std::vector<std::uint32_t>& slots)> hand_off;
    // False while a slot's records are still arriving here.
    std::function<bool(std::uint32_t slot)> may_acquire;
    // Called once, after the first time the node registered and took its slots.
    std::function<void()> settled;
  };

  control(const core::cluster_config& cfg, std::string http_address, std::uint16_t peer_port, slot_table& slots,
          std::string lease_file, hooks h);
  ~control();

  void start();
  // Stops the threads; with `release`, revokes the node's lease so that its
  // slots' leases and its membership go at once (a clean stop).
  void stop(bool release);
  std::shared_ptr<const cluster_view> view() const;
  // Whether this node's etcd lease is certainly still alive.
  bool lease_valid() const;
  std::int64_t lease_id() const;
  // How many reads of the cluster's keys were started: a view whose
  // read_seq is above the count taken at some moment was read after it.
  std::uint64_t reads_started() const { return reads_.load(); }
  // Runs the reconciliation again soon (a handoff ended, a peer came up).
  void poke();

  // etcd writes of a handoff and of the operators' routes (any thread).
  core::result<void> begin_handoff(std::uint32_t slot, const std::string& to);
  // Moves the slot to `to` in the shard map and drops our lease of it, in
  // one transaction that holds only while we still hold the lease; the
  // revision on success.
  core::result<std::int64_t> commit_handoff(std::uint32_t slot, const std::string& to);
  void end_handoff(std::uint32_t slot);
  core::result<void> set_drain(const std::string& node, bool drain);

 private:
  void run();
  void watch_loop();
  bool ensure_lease();
  void keepalive();
  bool refresh();
  void reconcile();
  void drop_all(const char* reason);

  core::cluster_config cfg_;
  etcd_keys keys_;
  std::string http_, lease_file_;
  std::uint16_t peer_port_;
  slot_table& slots_;
  hooks hooks_;
  etcd_client etcd_, watch_etcd_, ops_etcd_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, dirty_ = true, poked_ = false, settled_ = false;
  std::shared_ptr<const cluster_view> view_;
  std::vector<std::int64_t> acquired_rev_;
  std::atomic<std::int64_t> lease_{0};
  std::atomic<std::uint64_t> reads_{0};
  std::atomic<std::int64_t> deadline_ms_{0};  // steady clock
  std::int64_t next_keepalive_ms_ = 0;
  std::thread thread_, watcher_;
};

std::int64_t steady_ms();

}  // namespace pw::cluster
