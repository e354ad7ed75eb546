// store::database: opening (read-write, with the migration of an older
// layout, or read-only for `pipewright verify`) and closing.
#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/kill_point.hpp"
#include "store/database.hpp"
#include "store/migrate.hpp"
#include "store/rocks.hpp"
#include "store/info_log.hpp"
#include "store/rocks_options.hpp"

namespace pw::store {

database::impl::~impl() {
  if (!db) return;
  if (read_only) {
    for (auto* h : handles)
      if (h) db->DestroyColumnFamilyHandle(h);
    for (auto* h : extra_handles) db->DestroyColumnFamilyHandle(h);
    db->Close();
    return;
  }
  PW_KILL_POINT(store_close);
  // A clean stop leaves nothing in the WAL to replay: the next start is quick.
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto* h : handles)
    if (h) all.push_back(h);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (auto st = db->Flush(flush, all); !st.ok()) spdlog::warn("event=store.flush_failed error=\"{}\"", st.ToString());
  for (auto* h : handles)
    if (h) db->DestroyColumnFamilyHandle(h);
  db->Close();
}

database::database(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
database::~database() = default;

core::result<std::unique_ptr<database>> database::open(const std::string& dir, const open_options& opts,
                                                       open_report* report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::make_error(core::errc::store_failed, fmt::format("cannot create data dir {}: {}", dir, ec.message()));

  auto options = database_options(opts);
  options.info_log = make_info_log(dir);

  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), dir, &existing);  // none yet: a new store
  auto exists = [&](std::string_view name) { return std::find(existing.begin(), existing.end(), name) != existing.end(); };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, legacy_family_options(options));
  for (std::size_t i = 0; i < cf_count; ++i) {
    const auto c = static_cast<cf>(i);
    descriptors.emplace_back(std::string(cf_name(c)), family_options(options, c));
  }
  std::vector<std::string> legacy;
  for (auto name : legacy_families)
    if (exists(name)) {
      legacy.emplace_back(name);
      descriptors.emplace_back(std::string(name), legacy_family_options(options));
    }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(rocksdb::DBOptions(options), dir, descriptors, &handles, &raw);
  if (!st.ok()) return core::make_error(core::errc::store_failed, fmt::format("cannot open store in {}: {}", dir, st.ToString()));
  auto i = std::make_unique<impl>();
  i->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // default family: unused
  for (std::size_t k = 0; k < cf_count; ++k) i->handles[k] = handles[k + 1];
  std::vector<rocksdb::ColumnFamilyHandle*> legacy_handles(handles.begin() + 1 + cf_count, handles.end());

  open_report rep;
  if (!legacy.empty()) {
    rep.found_format = 2;
    auto migrated = migrate_from_v2(*i, legacy, legacy_handles);
    if (!migrated) return std::move(migrated).err();
    rep.migrated_items = migrated.value().items;
    rep.migration_ms = migrated.value().elapsed_ms;
  } else {
    i->db->Put(rocksdb::WriteOptions(), i->handle(cf::meta), layout_key, std::string(1, static_cast<char>(3)));
  }
  if (report) *report = rep;
  return std::unique_ptr<database>(new database(std::move(i)));
}

core::result<std::unique_ptr<database>> database::open_read_only(const std::string& dir) {
  auto options = database_options(open_options{});
  options.create_if_missing = false;
  std::vector<std::string> existing;
  if (auto st = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), dir, &existing); !st.ok())
    return core::make_error(core::errc::store_failed, fmt::format("no store in {}: {}", dir, st.ToString()));
  // Every family the store has must be opened; ours by their place in cf.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) {
    std::optional<cf> ours;
    for (std::size_t c = 0; c < cf_count; ++c)
      if (name == cf_name(static_cast<cf>(c))) ours = static_cast<cf>(c);
    descriptors.emplace_back(name, ours ? family_options(options, *ours) : legacy_family_options(options));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(options), dir, descriptors, &handles, &raw);
  if (!st.ok())
    return core::make_error(core::errc::store_failed, fmt::format("cannot open store in {} read-only: {}", dir, st.ToString()));
  auto i = std::make_unique<impl>();
  i->db.reset(raw);
  i->read_only = true;
  for (std::size_t k = 0; k < existing.size(); ++k) {
    bool ours = false;
    for (std::size_t c = 0; c < cf_count; ++c)
      if (existing[k] == cf_name(static_cast<cf>(c))) {
        i->handles[c] = handles[k];
        ours = true;
      }
    if (!ours) i->extra_handles.push_back(handles[k]);
  }
  for (std::size_t c = 0; c < cf_count; ++c)
    if (!i->handles[c])
      return core::make_error(core::errc::store_failed,
                              fmt::format("the store in {} has no '{}' family (not a store of this version)", dir,
                                          cf_name(static_cast<cf>(c))));
  return std::unique_ptr<database>(new database(std::move(i)));
}

}  // namespace pw::store
