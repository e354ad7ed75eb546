// Binary records of store format 2 (items, item states, history chunks),
// read by the migration to format 3 (store/record.hpp) and by tests, and the
// idempotency record. Each record starts with a format version; decoding
// checks every length and answers nullopt for a record it cannot read
// instead of crashing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"
#include "store/record.hpp"

namespace pw::store {

std::string encode_item(const core::item& it);
std::optional<core::item> decode_item(std::string_view bytes);

// Stage states are stored with their stage names, so a record still reads
// after the pipeline's config changed: stages are matched by name, new
// stages start pending, removed ones are dropped.
std::string encode_state(const core::pipeline& p, const core::item_state& s);
std::optional<core::item_state> decode_state(std::string_view bytes, const core::pipeline& p);
// The state as stored: the item-level part and the stages by name.
struct named_state {
  state_header header;
  std::vector<named_stage> stages;
};
std::optional<named_state> decode_state_named(std::string_view bytes);
// The item status alone, without the pipeline (for listings).
std::optional<core::item_status> decode_state_status(std::string_view bytes);

// The answer given to a request that carried an Idempotency-Key.
struct idempotency_record {
  std::string hash;  // of the request (method, path, body)
  int status = 0;
  std::string body;
  std::int64_t created_ms = 0;
  // (cluster) The slot of the request's workspace or item: the record moves
  // with it when the slot is handed off. None: it stays on its node.
  std::optional<std::uint32_t> slot;
};
std::string encode_idempotency(const idempotency_record& r);
std::optional<idempotency_record> decode_idempotency(std::string_view bytes);

// History is stored in chunks: the entries one write added for an item, in
// order, under the sequence number of the first. One key per write instead of
// one per transition keeps the store's write rate per item down.
std::string encode_history(const core::history_entry& e);  // a chunk of one
void append_history(std::string& chunk, const core::history_entry& e);
std::optional<std::vector<core::history_entry>> decode_history(std::string_view bytes);

}  // namespace pw::store
