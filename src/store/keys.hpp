// The store's column families and key layouts (DESIGN §4), store format 3:
// an item is one record plus, at any time, one queue entry (while it is
// queued or processing) or two index entries (paused or finished). Keys sort
// so that one prefix scan serves each read: a room's events in seq order,
// timers by due time, an owner's or a workspace's items newest first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pw::store {

enum class cf : std::uint8_t {
  items,       // id -> item record (store/record.hpp): written at accept, extended by merge deltas
  queue,       // owner '\0' id -> workspace : queued or processing (scanned on recovery)
  timers,      // be64(due_ms) id '/' stage -> "" : durable retry timers
  dlq,         // id '/' stage -> dead letter JSON
  events,      // room '\0' be64(first seq) -> frames of one commit, '\n'-separated (per-user replay log)
  meta,        // "c/<counter>" -> i64, "s/<room>" -> u64 last seq, "layout" -> store format
  stage_data,  // backend state, namespaced by pipeline and stage
  index,       // paused and finished items by owner, workspace and status; items by theme
  idempotency, // 'k' owner '\0' key -> record; 't' be64(created) owner '\0' key -> "" (expiry order)
  outbox,      // (cluster) be64(outbox seq) -> room '\0' event: events for rooms whose log lives on another node
  batches,     // the Batch API: batches, their members, provider requests, requests by status (store/batch_records.hpp)
  images,      // asset id -> the uploaded image's bytes (RocksDB blob files; store/assets.hpp)
};
inline constexpr std::size_t cf_count = 12;
// Column families of store format 2, read once by the migration (store/migrate.cpp).
inline constexpr std::string_view legacy_families[] = {"state", "results", "history", "owners"};
std::string_view cf_name(cf c) noexcept;

void put_be32(std::string& out, std::uint32_t v);
void put_be64(std::string& out, std::uint64_t v);
std::uint64_t get_be64(std::string_view in) noexcept;  // first 8 bytes
std::uint32_t get_be32(std::string_view in) noexcept;  // first 4 bytes

std::string queue_key(std::string_view owner, std::string_view id);
std::string timer_key(std::int64_t due_ms, std::string_view id, std::string_view stage);
std::string dlq_key(std::string_view id, std::string_view stage);
std::string event_key(std::string_view room, std::uint64_t seq);
std::string counter_key(std::string_view counter);
std::string room_seq_key(std::string_view room);
// (cluster) The outbox, and the last outbox seq of `origin` applied to a
// room's log (meta "d/" room '\0' origin): a resent batch applies once.
std::string outbox_key(std::uint64_t seq);
std::string applied_key(std::string_view room, std::string_view origin);
inline constexpr std::string_view applied_prefix = "d/";

// Index keys (cf::index), for items that are not in the queue (paused and
// finished ones): written when an item leaves the queue, removed when it
// returns. Every listing scans one prefix, newest id first.
std::string index_workspace_status_key(std::string_view ws, std::string_view status, std::string_view id);  // 'X' ... -> owner
std::string index_owner_status_key(std::string_view owner, std::string_view status, std::string_view id);   // 'O' ... -> workspace
// Items of a workspace by theme (value: the owner). 'T' ws '\0' theme '\0' id
std::string index_workspace_theme_key(std::string_view ws, std::string_view theme, std::string_view id);
std::string idempotency_key(std::string_view owner, std::string_view key);
// An item waiting on a batch, its supervisor stopped: out of the queue (so
// recovery does not start it) and listed here. 'P' owner '\0' id -> workspace
std::string index_parked_key(std::string_view owner, std::string_view id);
// An imported row's key: re-imports find the item. 'R' workspace '\0' row key -> item id
std::string index_row_key(std::string_view workspace, std::string_view row_key);
// A finished import's report. 'I' import id -> owner '\0' report JSON
std::string import_key(std::string_view import_id);
std::string idempotency_expiry_key(std::int64_t created_ms, std::string_view owner, std::string_view key);

// The smallest key greater than every key that starts with `prefix`.
std::string prefix_end(std::string prefix);

}  // namespace pw::store
