// The Batch API side of a node (DESIGN §7): the registry that batch stages
// register their requests with, the batch creator and the poller. One thread
// of its own ("pw-batch") does every store read and write here, in order, so
// a request changes hands (registered, claimed by a batch, mapped back,
// requeued) without races; provider calls go through the provider's gate
// and come back to that thread.
//
// The life of a request: a batch stage's attempt registers it
// (PENDING_BATCHING) and defers; its item's supervisor parks the item and
// stops. The creator takes pending requests by model, records a batch and
// every request's link in one write (BATCHING_IN_PROGRESS, batch PENDING),
// uploads the JSONL file (UPLOADING) and creates the batch (VALIDATING). The
// poller mirrors the batch's status; once the provider is done it downloads
// the output and error files, maps each line back by custom_id
// (PROCESSING_COMPLETE with the validated result and usage, or
// PROCESSING_FAILED), marks the item ready and wakes it, and marks the batch
// PROCESSED. The woken item's stage asks the registry again, gets the result
// and consumes it in the write that completes the stage.
//
// A crash anywhere repeats at most a step: a batch recorded but not uploaded
// looks for its file at the provider (by name) before uploading; a batch
// uploaded but not recorded as created looks for the batch (by its metadata
// and input file) before creating one; mapping skips requests already
// mapped; items marked ready are woken again at start.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/timer_service.hpp"
#include "core/config.hpp"
#include "stages/providers/hub.hpp"
#include "store/database.hpp"
#include "store/writer.hpp"

namespace pw::actors {

struct requeue_report {
  bool ok = true;  // false: the node is stopping or the store refused the write
  std::size_t requeued = 0;
  std::size_t not_found = 0;
  // (item id, stage) of the requeued requests whose stage may need a retry.
  std::vector<std::pair<std::string, std::string>> stages;
};

class batch_service final : public stages::providers::batch_registry {
 public:
  using wake_fn = std::function<void(std::vector<std::string> item_ids)>;

  batch_service(const core::config& cfg, const store::database& db, store::writer& writer,
                stages::providers::hub& hub, timer_service& timers, wake_fn wake);
  ~batch_service() override;
  batch_service(const batch_service&) = delete;
  batch_service& operator=(const batch_service&) = delete;

  // Wakes the items left ready by an earlier run, then starts the creator's
  // and the poller's ticks (when enabled).
  void start();
  void stop();

  void submit(stages::providers::batch_request r, std::function<void(stages::stage_outcome)> done) override;
  // PROCESSING_FAILED requests back to PENDING_BATCHING (the legacy admin API).
  void requeue(std::vector<std::string> request_ids, std::function<void(requeue_report)> done);

  struct impl;

 private:
  std::shared_ptr<impl> impl_;  // shared: provider callbacks and timers hold it weakly
};

}  // namespace pw::actors
