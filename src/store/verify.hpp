// A full check of a store's consistency, for a stopped node's data dir
// (`pipewright verify`, and the crash-test runner after every kill): every
// record decodes; each item is listed exactly where its status says (the
// queue while queued or processing, the index otherwise); retry timers and
// dead letters match the stages that need them; each workspace's counters
// equal what a scan of its items counts; each room's replay log holds
// consecutive seqs; idempotency records and their expiry keys pair up. A
// report lists every problem found, naming the key.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "store/database.hpp"

namespace pw::store {

struct verify_report {
  std::size_t items = 0;
  std::size_t orphans = 0;  // deltas that reached a deleted item (harmless; read as no item)
  std::size_t unfinished = 0;   // queued or processing: resumed by the next start
  std::size_t paused = 0;
  std::size_t finished = 0;
  std::size_t queue_entries = 0;
  std::size_t index_entries = 0;
  std::size_t timers = 0;
  std::size_t dead_letters = 0;
  std::size_t workspaces = 0;
  std::size_t rooms = 0;
  std::size_t events = 0;
  std::size_t idempotency_keys = 0;
  std::vector<std::string> problems;  // the first max_problems
  std::size_t problem_count = 0;
  bool ok() const noexcept { return problem_count == 0; }
  std::string json() const;
};

struct verified_item {
  std::string_view id, owner, workspace;
  core::item_status status;
};

// Checks the store; `each_item` (if set) sees every item that decodes.
verify_report verify_store(const database& db, const std::function<void(const verified_item&)>& each_item = {});

}  // namespace pw::store
