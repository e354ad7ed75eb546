// What the network layer may ask of the actor runtime, in plain C++ (no CAF
// types): submit an item, and subscribe a socket to its rooms' events.
// Implemented in src/actors/runtime.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace pw::actors {

// An uploaded image (POST /api/v1/assets): stored with its asset in the
// write that accepts it.
struct asset_upload {
  std::string bytes;
  std::string summary;  // for the history: "jpeg, 800 x 600 pixels, 73024 bytes"
};

struct submit_request {
  std::string owner;
  std::string workspace;
  std::string pipeline = "feedback";
  std::optional<std::string> title;
  std::string text;
  std::string metadata_json = "{}";
  // With an Idempotency-Key: the key and the request's hash are stored with
  // the item, in the same write.
  std::string idempotency_key;
  std::string request_hash;
  // An imported row's key: stored with the item, in the same write, so that
  // a re-import finds it (net/imports).
  std::string row_key;
  // Set for an asset (pipeline "asset"): the image, taken by admission.
  std::shared_ptr<asset_upload> asset;
};

struct submit_reply {
  std::string id;
  std::int64_t created_at_ms = 0;
  bool asset = false;  // the 201 of an upload: {jobId, assetId, status: "processing", created_at}
  // The 201 body, the same for the first answer and every replay.
  std::string json() const;
};

// Operator actions on one item (DESIGN §5).
enum class control_action : std::uint8_t {
  pause,         // no new stage starts; running ones finish and are kept
  resume,        // continue where it stopped
  cancel,        // stop for good
  retry,         // `stages`: those failed stages and what they skipped
  retry_failed,  // every failed stage of the item
  rerun,         // the whole pipeline again
  rollback,      // `stages[0]` and everything downstream again
  remove,        // delete; a running pipeline stops quietly, no event after
  resolve,       // `stages[0]`'s dead letter: settled without a retry
};

std::string_view to_string(control_action a) noexcept;

struct control_request {
  control_action action = control_action::pause;
  std::string item_id;
  std::vector<std::string> stages;
};

struct control_reply {
  std::string item_id;
  std::string status;  // the item's status afterwards ("deleted" after remove)
};

using control_callback = std::function<void(core::result<control_reply>)>;
using count_callback = std::function<void(core::result<std::size_t>)>;

struct queue_counts {
  std::int64_t waiting = 0;  // accepted, not started (in memory)
  std::int64_t active = 0;   // item supervisors alive
};

// Called exactly once, on any thread, when the item is durable (or refused).
using submit_callback = std::function<void(core::result<submit_reply>)>;

// A page of a room's replay log.
struct replay_page {
  std::vector<std::pair<std::uint64_t, std::string>> events;  // (seq, frame), ascending
  std::uint64_t first_retained = 0;                            // oldest seq still stored, 0 if none
  std::uint64_t last_seq = 0;                                  // newest seq stored, 0 if none
};
// nullopt: the room's log cannot be read now (in a cluster: its node is lost).
using replay_callback = std::function<void(std::optional<replay_page>)>;

// A subscriber (a WebSocket). Called from actor threads: implementations
// hand the frame to their own I/O thread and return at once.
class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual const std::vector<std::string>& rooms() const = 0;
  // Every event committed after joined() was called reaches deliver(), once,
  // in seq order per room. Events committed before may arrive too (filter by
  // seq). `committed_ns`: the steady-clock instant the event's batch
  // committed (for the commit -> socket lag).
  virtual void deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame,
                       std::int64_t committed_ns) = 0;
  // A frame that is not an event (the admins room's live stats): no seq, not
  // stored, never replayed; a socket may skip it while it catches up.
  virtual void deliver_live(std::shared_ptr<const std::string> frame) = 0;
  virtual void joined() = 0;
  // (cluster) Events of `room` can no longer reach this sink in order (the
  // node keeping the room's log was lost, or handed the log on): the
  // subscriber reconnects and replays with ?since=.
  virtual void interrupted(const std::string& /*room*/) {}
};

// What the operators' routes read (GET /metrics, GET /api/v1/admin/actors).
// Figures are read on the caller's thread without blocking the store writer
// or the actor scheduler.
class operations {
 public:
  virtual ~operations() = default;
  // The Prometheus text exposition.
  virtual std::string metrics_text() = 0;
  // The JSON report: node, queue, actors by kind, stages over the last minute.
  virtual std::string ops_report() = 0;
};

class gateway {
 public:
  virtual ~gateway() = default;
  virtual void submit(submit_request req, submit_callback done) = 0;
  virtual void join(std::shared_ptr<event_sink> sink) = 0;
  virtual void leave(std::shared_ptr<event_sink> sink) = 0;
  // Reads a page of a room's replay log (seq > after); `done` once, any thread.
  virtual void read_events(std::string room, std::uint64_t after, std::size_t limit, replay_callback done) = 0;
  virtual bool ready() const noexcept = 0;     // recovery finished
  virtual bool draining() const noexcept = 0;  // shutting down

  // Applies an action once it is durable; 404 NOT_FOUND for an unknown item,
  // 409 INVALID_TRANSITION when its status refuses the action.
  virtual void control(control_request req, control_callback done) = 0;
  // Retries the failed stages of a workspace's failed and partial items (only
  // `owner`'s when given; at most `limit`); answers how many were queued again.
  virtual void retry_failed(std::string workspace, std::optional<std::string> owner, std::size_t limit,
                            count_callback done) = 0;
  // Retries the stages of these dead letters (item id, stage), or of every
  // open one when `all`; answers how many were requeued.
  virtual void requeue_dead_letters(std::vector<std::pair<std::string, std::string>> letters, bool all,
                                    count_callback done) = 0;
  // Stores the answer to a request that carried an Idempotency-Key
  // (`record`: store::encode_idempotency).
  virtual void remember(std::string owner, std::string key, std::int64_t created_ms, std::string record) = 0;
  virtual queue_counts counts() const = 0;

  // The Batch API (legacy admin API): PROCESSING_FAILED requests back to
  // PENDING_BATCHING, and their stages retried when they failed.
  struct requeue_counts {
    std::size_t requeued = 0;
    std::size_t not_found = 0;
  };
  // Keeps the report of a finished CSV import (GET /api/v1/imports/{id});
  // `done` once it is durable (or refused).
  virtual void save_import(std::string id, std::string owner, std::string report_json, std::function<void()> done) {
    (void)id, (void)owner, (void)report_json;
    done();
  }
  virtual void requeue_batch_requests(std::vector<std::string> request_ids,
                                      std::function<void(core::result<requeue_counts>)> done) {
    (void)request_ids;
    done(core::make_error(core::errc::not_found, "this node runs no batch registry"));
  }
};

}  // namespace pw::actors
