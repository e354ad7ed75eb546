// The Batch API's records (DESIGN §4, §7), in the `batches` family, one
// record per thing:
//   'r' request id      -> provider request: one stage attempt's request
//                          (its body, status, batch, result or error, usage)
//   's' status request  -> provider '\0' model: requests by status (the
//                          creator takes PENDING_BATCHING by model; the legacy
//                          admin listing pages through any status)
//   'b' batch id        -> batch: status mirrored from the provider, file
//                          ids, counts, usage, times
//   'm' batch id        -> its request ids, written once when it is made
//   'o' batch id        -> "": batches not PROCESSED yet (creator and poller resume these)
// An item's link to its request lives in the batch stage's own data
// (stage_data "<pipeline>/<stage>/req/<item id>" -> request id, and
// ".../ready/<item id>" once a result or error is mapped back and the item
// must be woken): the stage's result write erases both, so a result is
// consumed exactly once. Request counts by status are counter fields
// ("batch|pending_batching", ...) of the workspace's counter record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace pw::store {

enum class request_status : std::uint8_t { pending_batching, batching_in_progress, processing_complete, processing_failed };
inline constexpr request_status all_request_statuses[] = {
    request_status::pending_batching, request_status::batching_in_progress, request_status::processing_complete,
    request_status::processing_failed};
std::string_view to_string(request_status s) noexcept;        // "PENDING_BATCHING"
std::string_view counter_field(request_status s) noexcept;    // "batch|pending_batching"
std::string_view summary_name(request_status s) noexcept;     // "pending_batching"
// "PENDING_BATCHING" or "pending_batching".
std::optional<request_status> parse_request_status(std::string_view s) noexcept;

struct provider_request {
  std::string id;  // ULID; the JSONL line's custom_id
  std::string item_id, owner, workspace, pipeline, stage;
  std::uint32_t attempt = 1;  // the stage attempt that registered (or last requeued) it
  std::string provider, model, kind, endpoint;
  std::string body;  // the request body, JSON
  request_status status = request_status::pending_batching;
  std::string batch_id;  // ours, while batching and after
  std::string result;    // complete: the stage's output, JSON
  std::string error;     // failed: for a person
  bool error_permanent = false;
  std::uint32_t requeues = 0;
  std::int64_t created_at_ms = 0, updated_at_ms = 0, failed_at_ms = 0;
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
};

enum class batch_status : std::uint8_t {
  pending,      // recorded with its requests; the file is not uploaded yet
  uploading,    // the file is uploaded (input_file_id); the batch is not created yet
  validating,   // from here on, the provider's status, mirrored
  in_progress,
  finalizing,
  completed,
  processed,    // its output and error files were mapped back; final
  failed,
  cancelling,
  cancelled,
  expired,
};
std::string_view to_string(batch_status s) noexcept;  // "VALIDATING"
std::optional<batch_status> parse_batch_status(std::string_view s) noexcept;  // ours, any case
// The provider's status word ("in_progress") as ours.
std::optional<batch_status> from_provider(std::string_view s) noexcept;

struct batch_record {
  std::string id;  // ULID, ours
  std::string provider, model, endpoint;
  batch_status status = batch_status::pending;
  std::string provider_batch_id, input_file_id, output_file_id, error_file_id;
  std::int64_t requests = 0, bytes = 0;
  std::int64_t provider_completed = 0, provider_failed = 0;     // the provider's request_counts
  std::int64_t mapped_complete = 0, mapped_failed = 0, requeued = 0, unmatched = 0;
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  std::int64_t created_at_ms = 0, uploaded_at_ms = 0, submitted_at_ms = 0, finished_at_ms = 0, processed_at_ms = 0,
               updated_at_ms = 0;
  std::string error;  // why it failed, or what went wrong last (a transient creation error)
  bool settled() const noexcept { return processed_at_ms > 0; }  // its requests are answered: nothing more to do
};

std::string encode_request(const provider_request& r);
std::optional<provider_request> decode_request(std::string_view bytes);
std::string encode_batch(const batch_record& b);
std::optional<batch_record> decode_batch(std::string_view bytes);
std::string encode_members(const std::vector<std::string>& ids);
std::optional<std::vector<std::string>> decode_members(std::string_view bytes);

std::string request_key(std::string_view id);
std::string request_status_key(request_status s, std::string_view id);
std::string batch_key(std::string_view id);
std::string batch_members_key(std::string_view id);
std::string open_batch_key(std::string_view id);

// Stage data keys of an item's link to its request (relative to the stage's
// namespace "<pipeline>/<stage>/").
std::string request_link(std::string_view item_id);  // "req/<item id>"
std::string ready_link(std::string_view item_id);    // "ready/<item id>"
std::string stage_namespace(std::string_view pipeline, std::string_view stage);  // "<pipeline>/<stage>/"

// Reads (short point lookups and prefix scans; call them off the actor scheduler).
std::optional<provider_request> read_request(const database& db, std::string_view id);
std::optional<batch_record> read_batch(const database& db, std::string_view id);
std::vector<std::string> read_members(const database& db, std::string_view batch_id);
std::optional<std::string> read_stage_value(const database& db, std::string_view key);
// Request ids with status `s` after `after` (exclusive), oldest first, with
// the index value (provider '\0' model).
std::vector<std::pair<std::string, std::string>> requests_by_status(const database& db, request_status s,
                                                                     std::string_view after, std::size_t limit);
// Ids of batches not PROCESSED yet, oldest first.
std::vector<std::string> open_batches(const database& db);
// Batches newest first, before `before` (exclusive; "" from the newest).
std::vector<batch_record> list_batches(const database& db, std::string_view before, std::size_t limit);

}  // namespace pw::store
