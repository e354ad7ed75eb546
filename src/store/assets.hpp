// Asset records (store format 3, STORE_V3): an asset is an item of the
// `asset` pipeline (its one record in `items`), plus
//   images: asset id -> the uploaded bytes, written in the same batch that
//           accepts the asset (so the image is durable before the 201) and
//           erased with it; the family keeps values in RocksDB blob files;
//   index:  'A' owner '\0' id -> workspace   (an owner's assets)
//           'B' workspace '\0' id -> owner   (a workspace's assets, admins)
//   counters: "assets/<draft|processing|active|failed>" in the workspace's
//           counter record.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset.hpp"
#include "core/item.hpp"
#include "store/database.hpp"
#include "store/write_set.hpp"

namespace pw::store {

std::string index_owner_asset_key(std::string_view owner, std::string_view id);
std::string index_workspace_asset_key(std::string_view workspace, std::string_view id);
std::string asset_counter_field(core::asset_status s);  // "assets/active"
std::string asset_counter(std::string_view workspace, core::asset_status s);  // "ws/<w>/assets/active"; "" = all

// A new asset: its image and listing keys, counted as `status`.
void put_asset(write_set& ws, const core::item& it, std::string image, core::asset_status status);
// The asset's image and listing keys go; it stops counting as `status`.
void delete_asset(write_set& ws, const core::item& it, core::asset_status status);
void count_asset(write_set& ws, std::string_view workspace, core::asset_status from, core::asset_status to);

std::optional<std::string> read_image(const database& db, std::string_view asset_id);

struct asset_listing {
  std::optional<std::string> owner;      // only this owner's assets
  std::optional<std::string> workspace;  // only this workspace's
  std::vector<std::string> workspaces;   // with neither: these workspaces (empty: every one that has assets)
  std::optional<core::asset_status> status;
  std::string before;                    // cursor: ids below this
  std::size_t limit = 50;
};

// Newest first; (id, owner or workspace) entries.
index_page list_assets(const database& db, const asset_listing& q);

}  // namespace pw::store
