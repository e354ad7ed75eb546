// A node's membership in a cluster (DESIGN §8), composed: the etcd control
// plane, the agent and its door on the middleman, the HTTP gate's routing
// (net::cluster_routing), the gateway the sockets use (events from the
// rooms' nodes), handoffs and the purge of records this node gave away, and
// the operators' view (`pipewright cluster status|drain`). Built before the
// runtime (whose actor system and writer it configures) and started after.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/gateway.hpp"
#include "actors/runtime.hpp"
#include "cluster/agent.hpp"
#include "cluster/control.hpp"
#include "core/config.hpp"
#include "net/cluster_routing.hpp"
#include "store/database.hpp"

namespace pw::cluster {

class node final : public net::cluster_routing, public actors::gateway {
 public:
  node(const core::config& cfg, store::database& db);
  ~node() override;

  // What the runtime must be built with.
  actors::cluster_hooks hooks();
  // Publishes the door, spawns the agent and starts the control plane.
  // `serve_forwarded` runs a request from another node on this one.
  core::result<void> start(actors::runtime& rt, std::uint16_t http_port,
                           std::function<void(net::http_request, net::responder)> serve_forwarded);
  // Stops; with `release`, gives the slots' leases back at once.
  void stop(bool release);

  // net::cluster_routing
  const std::string& node_name() const override { return cfg_.cluster.node; }
  std::uint32_t workspace_slot(std::string_view workspace) const override;
  std::optional<std::uint32_t> item_slot(std::string_view id) const override;
  void route(std::uint32_t slot, std::function<void(net::slot_route)> then) override;
  void forward(const std::string& node, const net::http_request& req, net::responder respond) override;
  std::vector<std::string> nodes_with_slots(std::vector<std::string>* unreachable) const override;
  bool serves(std::uint32_t slot) const override;

  // actors::gateway: the runtime's, with the cluster's events.
  void submit(actors::submit_request req, actors::submit_callback done) override { rt_->submit(std::move(req), std::move(done)); }
  void join(std::shared_ptr<actors::event_sink> sink) override;
  void leave(std::shared_ptr<actors::event_sink> sink) override;
  void read_events(std::string room, std::uint64_t after, std::size_t limit, actors::replay_callback done) override;
  bool ready() const noexcept override { return rt_ && rt_->ready(); }
  bool draining() const noexcept override { return !rt_ || rt_->draining(); }
  void control(actors::control_request req, actors::control_callback done) override { rt_->control(std::move(req), std::move(done)); }
  void retry_failed(std::string ws, std::optional<std::string> owner, std::size_t limit, actors::count_callback done) override {
    rt_->retry_failed(std::move(ws), std::move(owner), limit, std::move(done));
  }
  void requeue_dead_letters(std::vector<std::pair<std::string, std::string>> letters, bool all, actors::count_callback done) override {
    rt_->requeue_dead_letters(std::move(letters), all, std::move(done));
  }
  void remember(std::string owner, std::string key, std::int64_t created_ms, std::string record) override {
    rt_->remember(std::move(owner), std::move(key), created_ms, std::move(record));
  }
  actors::queue_counts counts() const override { return rt_->counts(); }

  // The operators' view: members, slots by node, handoffs (JSON).
  std::string status_json() const;
  core::result<void> drain(const std::string& node, bool drain);

 private:
  std::optional<net::slot_route> decide(std::uint32_t slot) const;
  void wake();
  void ticker();
  void post_job(std::function<void()> job);
  void worker();
  bool start_handoff(const std::string& to, const std::vector<std::uint32_t>& slots);
  void run_handoff(const std::string& to, std::vector<std::uint32_t> slots);
  void purge(const std::vector<std::uint32_t>& slots, bool forget);
  void settle_imports(const cluster_view& v);

  const core::config& cfg_;
  store::database& db_;
  actors::runtime* rt_ = nullptr;
  slot_table slots_;
  std::shared_ptr<agent_env> env_;
  std::unique_ptr<cluster::control> ctl_;
  caf::actor agent_, door_;
  std::uint16_t peer_port_ = 0;

  struct parked {
    std::uint32_t slot;
    std::int64_t deadline_ms;
    std::function<void(net::slot_route)> then;
  };
  std::mutex park_mu_;
  std::vector<parked> parked_;

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  std::atomic<bool> handing_off_{false};
  std::atomic<bool> stopping_{false};
  std::thread worker_, ticker_;
};

}  // namespace pw::cluster
