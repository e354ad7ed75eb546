// Listings of items (GET /items, failed items, bulk retries), newest first,
// from the queue and the index: queued and processing items are found in the
// queue (by owner), paused and finished ones in the index by workspace and
// status, and those that are not completed also by owner (store/write_set.hpp:
// completed items, the bulk, cost one index key). An owner's completed items
// are their workspaces' completed items filtered by owner. Never a scan of
// all items, except an admin's listing with no filter at all, which walks
// the items newest first.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "store/database.hpp"

namespace pw::store {

struct listing_request {
  std::optional<std::string> owner;  // only this owner's items; nullopt: everyone's (admins)
  std::optional<std::string> workspace;
  // With an owner and no workspace: the workspaces to look in (the token's);
  // empty: every workspace.
  std::vector<std::string> owner_workspaces;
  std::optional<core::item_status> status;
  std::string before;  // the cursor: ids below this; empty: from the newest
  std::size_t limit = 50;
};

// (id, "") entries, newest first; `next` continues the listing.
index_page list_items(const database& db, const listing_request& r);

}  // namespace pw::store
