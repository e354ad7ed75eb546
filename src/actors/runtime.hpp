// The node's actor runtime: the actor system, admission, notifier, item
// supervisors and their workers, the store writer and the timers. It is the
// gateway the network layer submits to. Lifecycle: construct, resume()
// recovered items, mark_ready(), and on a signal drain() then shutdown().
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/context.hpp"
#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "store/database.hpp"
#include "store/recovery.hpp"

namespace pw::actors {

struct runtime_stats {
  std::int64_t active_supervisors = 0;
  std::int64_t waiting_items = 0;
  std::int64_t running_workers = 0;
  std::size_t pending_timers = 0;
  std::size_t actors_running = 0;
  store::writer_stats writer;
};

class runtime final : public gateway, public operations {
 public:
  runtime(const core::config& cfg, store::database& db, std::map<std::string, pipeline_binding> pipelines,
          core::node_metrics& metrics);
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

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::actors
