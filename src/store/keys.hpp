// The store's column families and key layouts (DESIGN §4). Keys sort so that
// one prefix scan serves each read: an item's results, its history in order,
// a room's events in seq order, timers by due time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pw::store {

enum class cf : std::uint8_t {
  items,       // id -> item record
  state,       // id -> item state record (rewritten on every transition)
  results,     // id '/' stage -> result JSON
  history,     // id be32(seq) -> history entry
  queue,       // id -> "" : accepted and not finished (scanned on recovery)
  timers,      // be64(due_ms) id '/' stage -> "" : durable retry timers
  dlq,         // id '/' stage -> dead letter JSON
  events,      // room '\0' be64(seq) -> frame JSON (per-user replay log)
  owners,      // owner '\0' id -> workspace
  meta,        // "c/<counter>" -> i64, "s/<room>" -> u64 last seq
  stage_data,  // backend state, namespaced by pipeline and stage
  index,       // listings by status, workspace and owner (index_*_key below)
  idempotency, // 'k' owner '\0' key -> record; 't' be64(created) owner '\0' key -> "" (expiry order)
};
inline constexpr std::size_t cf_count = 13;
std::string_view cf_name(cf c) noexcept;

void put_be32(std::string& out, std::uint32_t v);
void put_be64(std::string& out, std::uint64_t v);
std::uint64_t get_be64(std::string_view in) noexcept;  // first 8 bytes
std::uint32_t get_be32(std::string_view in) noexcept;  // first 4 bytes

std::string result_key(std::string_view id, std::string_view stage);
std::string history_key(std::string_view id, std::uint32_t seq);
std::string timer_key(std::int64_t due_ms, std::string_view id, std::string_view stage);
std::string dlq_key(std::string_view id, std::string_view stage);
std::string event_key(std::string_view room, std::uint64_t seq);
std::string owner_key(std::string_view owner, std::string_view id);
std::string counter_key(std::string_view counter);
std::string room_seq_key(std::string_view room);

// Index keys (cf::index). Every listing scans one prefix, newest id first.
std::string index_status_key(std::string_view status, std::string_view id);  // 'S' status '\0' id -> workspace
std::string index_workspace_key(std::string_view ws, std::string_view id);   // 'W' ws '\0' id
// Items of a workspace by theme (value: the owner). 'T' ws '\0' theme '\0' id
std::string index_workspace_theme_key(std::string_view ws, std::string_view theme, std::string_view id);
std::string index_workspace_status_key(std::string_view ws, std::string_view status, std::string_view id);  // 'X' ...
std::string index_owner_status_key(std::string_view owner, std::string_view status, std::string_view id);   // 'O' ... -> workspace
std::string idempotency_key(std::string_view owner, std::string_view key);
std::string idempotency_expiry_key(std::int64_t created_ms, std::string_view owner, std::string_view key);

// The smallest key greater than every key that starts with `prefix`.
std::string prefix_end(std::string prefix);

}  // namespace pw::store
