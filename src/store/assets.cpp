#include "store/assets.hpp"

#include "store/counters.hpp"
#include "store/rocks.hpp"

namespace pw::store {

namespace {

std::string joined(char tag, std::string_view a, std::string_view b) {
  std::string k(1, tag);
  k += a;
  k += '\0';
  k += b;
  return k;
}

}  // namespace

std::string index_owner_asset_key(std::string_view owner, std::string_view id) { return joined('A', owner, id); }
std::string index_workspace_asset_key(std::string_view workspace, std::string_view id) {
  return joined('B', workspace, id);
}

std::string asset_counter_field(core::asset_status s) { return "assets/" + std::string(core::to_string(s)); }

std::string asset_counter(std::string_view workspace, core::asset_status s) {
  std::string k = workspace.empty() ? std::string("all") : "ws/" + std::string(workspace);
  return k + "/" + asset_counter_field(s);
}

void put_asset(write_set& ws, const core::item& it, std::string image, core::asset_status status) {
  ws.put(cf::images, it.id, std::move(image));
  ws.put(cf::index, index_owner_asset_key(it.owner, it.id), it.workspace);
  ws.put(cf::index, index_workspace_asset_key(it.workspace, it.id), it.owner);
  ws.count(it.workspace, asset_counter_field(status), 1);
}

void delete_asset(write_set& ws, const core::item& it, core::asset_status status) {
  ws.erase(cf::images, it.id);
  ws.erase(cf::index, index_owner_asset_key(it.owner, it.id));
  ws.erase(cf::index, index_workspace_asset_key(it.workspace, it.id));
  ws.count(it.workspace, asset_counter_field(status), -1);
}

void count_asset(write_set& ws, std::string_view workspace, core::asset_status from, core::asset_status to) {
  if (from == to) return;
  ws.count(workspace, asset_counter_field(from), -1);
  ws.count(workspace, asset_counter_field(to), 1);
}

std::optional<std::string> read_image(const database& db, std::string_view asset_id) {
  const auto& d = db.internals();
  std::string value;
  auto st = d.db->Get(rocksdb::ReadOptions(), d.handle(cf::images), rocksdb::Slice(asset_id.data(), asset_id.size()), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

index_page list_assets(const database& db, const asset_listing& q) {
  std::function<bool(std::string_view, std::string_view)> accept;
  if (q.status) {
    accept = [&db, want = *q.status](std::string_view id, std::string_view) {
      auto s = db.item_status(id);
      return s && core::asset_status_of(*s) == want;
    };
  }
  std::vector<index_query> sources;
  auto add = [&](std::string prefix, std::optional<std::string> value) {
    index_query iq;
    iq.prefix = std::move(prefix);
    iq.before = q.before;
    iq.limit = q.limit;
    iq.value_equals = std::move(value);
    iq.accept = accept;
    sources.push_back(std::move(iq));
  };
  if (q.owner) {
    add(index_owner_asset_key(*q.owner, ""), q.workspace);
  } else if (q.workspace) {
    add(index_workspace_asset_key(*q.workspace, ""), std::nullopt);
  } else {
    std::vector<std::string> scope = q.workspaces;
    if (scope.empty()) {
      for (const auto& [ws, pack] : db.counter_packs()) {
        std::int64_t n = 0;
        for (auto s : core::all_asset_statuses) n += pack.get(asset_counter_field(s));
        if (n > 0) scope.push_back(ws);
      }
    }
    for (const auto& ws : scope) add(index_workspace_asset_key(ws, ""), std::nullopt);
  }
  if (sources.empty()) return {};
  if (sources.size() == 1) return db.list(sources.front());
  return db.list_merged(sources, q.limit);
}

}  // namespace pw::store
