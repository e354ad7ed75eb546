#include "store/imports.hpp"

#include "store/keys.hpp"
#include "store/rocks.hpp"

namespace pw::store {

namespace {

std::optional<std::string> get(const database& db, const std::string& key) {
  const auto& d = db.internals();
  std::string value;
  if (!d.db->Get(rocksdb::ReadOptions(), d.handle(cf::index), rocksdb::Slice(key), &value).ok()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> find_row_key(const database& db, std::string_view workspace, std::string_view row_key) {
  return get(db, index_row_key(workspace, row_key));
}

std::optional<std::pair<std::string, std::string>> find_import(const database& db, std::string_view import_id) {
  auto v = get(db, import_key(import_id));
  if (!v) return std::nullopt;
  auto zero = v->find('\0');
  if (zero == std::string::npos) return std::nullopt;
  return std::pair{v->substr(0, zero), v->substr(zero + 1)};
}

}  // namespace pw::store
