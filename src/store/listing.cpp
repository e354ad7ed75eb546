#include "store/listing.hpp"

#include <algorithm>

#include "store/write_set.hpp"

namespace pw::store {

namespace {

constexpr core::item_status indexed_statuses[] = {core::item_status::paused, core::item_status::completed,
                                                 core::item_status::partial, core::item_status::failed,
                                                 core::item_status::cancelled};

// Workspaces that have items of `status` (their counters say so).
std::vector<std::string> workspaces_with(const database& db, core::item_status status) {
  std::vector<std::string> out;
  const auto field = core::to_string(status);
  for (auto& [ws, counters] : db.counter_packs())
    if (counters.get(field) > 0) out.push_back(ws);
  return out;
}

std::vector<std::string> scope_of(const database& db, const listing_request& r, core::item_status status) {
  if (r.workspace) return {*r.workspace};
  if (!r.owner_workspaces.empty()) return r.owner_workspaces;
  return workspaces_with(db, status);
}

void add_indexed(const database& db, const listing_request& r, core::item_status status, std::vector<index_query>& out) {
  const auto name = std::string(core::to_string(status));
  if (r.owner && owner_indexed(status)) {
    index_query q;
    q.prefix = index_owner_status_key(*r.owner, name, "");
    q.value_equals = r.workspace;
    out.push_back(std::move(q));
  } else if (r.owner) {
    for (auto& ws : scope_of(db, r, status)) {
      index_query q;
      q.prefix = index_workspace_status_key(ws, name, "");
      q.value_equals = *r.owner;
      out.push_back(std::move(q));
    }
  } else if (r.workspace) {
    index_query q;
    q.prefix = index_workspace_status_key(*r.workspace, name, "");
    out.push_back(std::move(q));
  } else {
    for (auto& ws : workspaces_with(db, status)) {
      index_query q;
      q.prefix = index_workspace_status_key(ws, name, "");
      out.push_back(std::move(q));
    }
  }
  for (auto& q : out) q.before = r.before;
}

// The queue is keyed by owner: an owner's queued and processing items are
// one prefix (and the parked ones, waiting on a batch, another); everyone's
// are the whole queue and every parked item, read and sorted (they hold only
// unfinished items).
index_page list_queue(const database& db, const listing_request& r, std::optional<core::item_status> status,
                      const std::shared_ptr<const read_snapshot>& view) {
  auto accept = [&db, status, view](std::string_view id, std::string_view) {
    if (!status) return true;
    auto s = db.item_status(id, view.get());
    return s && *s == *status;
  };
  if (r.owner) {
    index_query q;
    q.family = cf::queue;
    q.prefix = queue_key(*r.owner, "");
    q.before = r.before;
    q.limit = r.limit;
    q.value_equals = r.workspace;
    q.accept = accept;
    q.snapshot = view;
    // Items waiting on a batch are parked out of the queue (write_set::park_item).
    index_query parked = q;
    parked.family = cf::index;
    parked.prefix = index_parked_key(*r.owner, "");
    return db.list_merged({q, parked}, r.limit);
  }
  std::vector<std::string> ids;
  db.scan_queue(
      [&](std::string_view, std::string_view id, std::string_view ws) {
        if (r.workspace && ws != *r.workspace) return;
        if (!r.before.empty() && id >= std::string_view(r.before)) return;
        ids.emplace_back(id);
      },
      view.get());
  index_query parked;
  parked.prefix = "P";
  parked.limit = 10'000'000;
  parked.max_scan = 10'000'000;
  parked.snapshot = view;
  for (auto& [key, ws] : db.list(parked).entries) {
    auto zero = key.find('\0');
    if (zero == std::string::npos) continue;
    std::string_view id = std::string_view(key).substr(zero + 1);
    if (r.workspace && ws != *r.workspace) continue;
    if (!r.before.empty() && id >= std::string_view(r.before)) continue;
    ids.emplace_back(id);
  }
  std::sort(ids.rbegin(), ids.rend());
  index_page page;
  for (auto& id : ids) {
    if (page.entries.size() == r.limit) {
      page.next = page.entries.back().first;
      break;
    }
    if (accept(id, {})) page.entries.emplace_back(std::move(id), std::string());
  }
  return page;
}

}  // namespace

index_page list_items(const database& db, const listing_request& r) {
  // One view for every scan: an item that moves between the queue and the
  // index meanwhile is seen once, in one of them.
  const auto view = db.snapshot();
  if (r.status && in_queue(*r.status)) return list_queue(db, r, r.status, view);
  std::vector<index_query> sources;
  if (r.status) {
    add_indexed(db, r, *r.status, sources);
    for (auto& q : sources) q.snapshot = view;
    return db.list_merged(sources, r.limit);
  }
  if (!r.owner && !r.workspace) {
    index_query all;
    all.family = cf::items;
    all.before = r.before;
    all.limit = r.limit;
    return db.list(all);
  }
  for (auto s : indexed_statuses) {
    std::vector<index_query> qs;
    add_indexed(db, r, s, qs);
    for (auto& q : qs) sources.push_back(std::move(q));
  }
  for (auto& q : sources) q.snapshot = view;
  auto open = list_queue(db, r, std::nullopt, view);
  auto closed = db.list_merged(sources, r.limit);
  // Merge the two pages like list_merged merges its sources.
  index_page out;
  std::vector<std::pair<std::string, std::string>> all = std::move(open.entries);
  for (auto& e : closed.entries) all.push_back(std::move(e));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::optional<std::string> cut;
  for (const auto* page : {&open, &closed})
    if (page->next && (!cut || *page->next > *cut)) cut = page->next;
  for (auto& e : all) {
    if (out.entries.size() == r.limit || (cut && e.first < *cut)) {
      out.next = out.entries.empty() ? cut : std::optional<std::string>(out.entries.back().first);
      if (cut && out.next && *out.next < *cut) out.next = cut;
      break;
    }
    out.entries.push_back(std::move(e));
  }
  if (!out.next && cut) out.next = cut;
  return out;
}

}  // namespace pw::store
