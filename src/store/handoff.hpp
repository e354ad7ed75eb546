// (cluster) A slot's records as a stream of chunks: read on the node that
// gives the slot away (from one snapshot, every family, placed by
// store/slot_keys.hpp), written as they are on the node that takes it, and
// erased from the giver once the move is committed in etcd.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/write_set.hpp"

namespace pw::store {

struct handoff_record {
  cf family = cf::meta;
  std::string key;
  std::string value;
};

struct handoff_scan {
  std::size_t keys = 0;
  std::size_t bytes = 0;
  std::set<std::string> workspaces;  // whose counters moved (and whose backend state)
  std::set<std::string> rooms;       // whose event logs moved
};

// Calls on_chunk with the records of `slots`, in chunks of about
// `chunk_bytes`, until it returns false. Fails, naming the key, when a key
// has no place (store/slot_keys.hpp): nothing may be left behind.
core::result<handoff_scan> scan_slots(const database& db, std::uint32_t slot_count, const std::set<std::uint32_t>& slots,
                                      std::size_t chunk_bytes,
                                      const std::function<bool(std::vector<handoff_record>&&)>& on_chunk);

// Adds the workspaces and rooms these records belong to.
void summarize(const std::vector<handoff_record>& records, handoff_scan& into);

// The records as a write set (the taking node), or their erasure (the
// giving node, after the move). Either way the writer reads the counters and
// room seqs of `scan` from the store again.
write_set import_records(std::vector<handoff_record>&& records);
write_set erase_records(const std::vector<handoff_record>& records);

}  // namespace pw::store
