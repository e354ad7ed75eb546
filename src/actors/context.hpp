// What every actor of a node shares: config, the store writer, timers, the
// stage backends of each pipeline and the node's metrics. Immutable once the
// node runs; passed to actors as shared_ptr<const node_context>.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/timer_service.hpp"
#include "core/config.hpp"
#include "core/node_metrics.hpp"
#include "stages/stage.hpp"
#include "store/loader.hpp"
#include "store/writer.hpp"

namespace pw::actors {

struct stage_binding {
  std::shared_ptr<stages::stage_backend> backend;
  std::string data_prefix;  // "<pipeline>/<stage>/": namespace of the backend's durable state
};

struct pipeline_binding {
  const core::pipeline* pipeline = nullptr;
  std::vector<stage_binding> stages;  // indexed like pipeline->stages()
};

struct node_flags {
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> active{0};
  std::atomic<std::int64_t> waiting{0};
  std::atomic<std::int64_t> workers{0};
  // Accept time (ms since the epoch) of the oldest item waiting for a slot,
  // 0 when none; admission refreshes it when asked (stats).
  std::atomic<std::int64_t> oldest_waiting_ms{0};
};

struct node_context {
  const core::config* cfg = nullptr;
  store::writer* writer = nullptr;
  store::loader* loader = nullptr;
  timer_service* timers = nullptr;
  node_flags* flags = nullptr;
  core::node_metrics* metrics = nullptr;
  std::map<std::string, pipeline_binding> pipelines;
  // (cluster) The cluster's slot count: item ids carry their workspace's
  // slot, and admission can release and resume slots. 0 on a single node.
  std::uint32_t cluster_slots = 0;
};

using context_ptr = std::shared_ptr<const node_context>;

}  // namespace pw::actors
