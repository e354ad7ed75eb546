// The node's actor runtime: the actor system, admission, notifier, item
// supervisors and their workers, the store writer and the timers. It is the
// gateway the network layer submits to. Lifecycle: construct, resume()
// recovered items, mark_ready(), and on a signal drain() then shutdown().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>

#include <caf/fwd.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/context.hpp"
#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "store/database.hpp"
#include "store/recovery.hpp"

namespace pw::stages::providers {
class hub;
}

namespace pw::actors {

struct runtime_stats {
  std::int64_t active_supervisors = 0;
  std::int64_t waiting_items = 0;
  std::int64_t running_workers = 0;
  std::size_t pending_timers = 0;
  std::size_t actors_running = 0;
  store::writer_stats writer;
};

class notifier;

// (cluster) What a cluster adds to the runtime before it starts.
struct cluster_hooks {
  std::function<void(caf::actor_system_config&)> configure;  // the middleman and the wire types
  std::uint32_t slots = 0;                                    // item ids carry their workspace's slot
  std::function<bool(std::string_view room)> local_room;      // store::writer_options::local_room
  std::function<void()> outboxed;
};

class runtime final : public gateway, public operations {
 public:
  // `hub`: the providers (http and batch stages); with it the runtime runs
  // the Batch API's registry, creator and poller, and stops the hub's gates
  // on shutdown.
  runtime(const core::config& cfg, store::database& db, std::map<std::string, pipeline_binding> pipelines,
          core::node_metrics& metrics, cluster_hooks cluster = {}, stages::providers::hub* hub = nullptr);
  ~runtime() override;

  void submit(submit_request req, submit_callback done) override;
  void join(std::shared_ptr<event_sink> sink) override;
  void leave(std::shared_ptr<event_sink> sink) override;
  bool ready() const noexcept override;
  bool draining() const noexcept override;
  void control(control_request req, control_callback done) override;
  void retry_failed(std::string workspace, std::optional<std::string> owner, std::size_t limit,
                    count_callback done) override;
  void requeue_dead_letters(std::vector<std::pair<std::string, std::string>> letters, bool all,
                            count_callback done) override;
  void remember(std::string owner, std::string key, std::int64_t created_ms, std::string record) override;
  queue_counts counts() const override;
  std::string metrics_text() override;
  std::string ops_report() override;
  void requeue_batch_requests(std::vector<std::string> request_ids,
                              std::function<void(core::result<requeue_counts>)> done) override;
  void save_import(std::string id, std::string owner, std::string report_json, std::function<void()> done) override;
  // Items whose batch result is ready (the batch service calls this).
  void wake(std::vector<std::string> item_ids);

  void resume(std::vector<store::queued_ref>&& batch);
  void mark_ready();
  // Stops intake and waits until every supervisor finished its in-flight
  // stages (or parked: their state is durable), at most `deadline`. True when
  // everything stopped in time.
  bool drain(std::chrono::milliseconds deadline);
  // Stops every actor, the timers and the writer (committing what it holds).
  void shutdown();
  runtime_stats stats() const;
  bool store_healthy() const noexcept;
  // Why the store refuses writes; nullopt while it takes them.
  std::optional<std::string> store_failure() const;
  void read_events(std::string room, std::uint64_t after, std::size_t limit, replay_callback done) override;

  // (cluster) What the cluster agent works with.
  caf::actor_system& system();
  store::writer& writer();
  store::loader& loader();
  notifier& rooms();
  const std::map<std::string, pipeline_binding>& pipelines() const;
  // Stops running these slots' items; `done` (any thread) once none runs.
  void release_slots(std::vector<std::uint32_t> slots, std::function<void()> done);
  // Runs these slots' items again: their queue entries are read and handed
  // to admission (those it already runs are skipped).
  void resume_slots(std::vector<std::uint32_t> slots);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::actors
