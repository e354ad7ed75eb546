// CSV import (POST /api/v1/imports, streamed): each row of a CSV file becomes
// a feedback item. The header row names the columns: `text` (or the column
// ?text_column= names; also found as feedback, body, comment, message,
// content), optional `title` (subject, summary), `workspace`, and a row key
// (`key`, id, external_id, row_key, or ?key_column=) that makes re-imports
// idempotent: a row whose key its workspace already has creates nothing.
// Without a key column the key is a hash of the row's mapped fields. Other
// columns go into the item's metadata, with the import's id and the row's
// line. Bad rows are reported with their line numbers; good rows are kept.
// Rows are submitted as they arrive, at most 256 at a time: reading the
// upload waits for them, so memory stays flat for any file size.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "net/api.hpp"

namespace pw::net {

// What every import of the node shares: the progress of running imports
// (GET /api/v1/imports/{id}) and the row keys being created right now, so
// that two concurrent imports of the same rows create each item once.
class import_registry {
 public:
  struct progress {
    std::string owner;
    std::int64_t rows = 0, created = 0, existing = 0, rejected = 0;
  };
  // True when the key was free; it stays claimed until release().
  bool claim(const std::string& workspace, const std::string& key);
  void release(const std::string& workspace, const std::string& key);
  void update(const std::string& id, const progress& p);
  void finish(const std::string& id);
  std::optional<progress> running(const std::string& id) const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> claimed_;
  std::map<std::string, progress> running_;
};

void add_import_routes(router& r, api_context& ctx, import_registry& registry);

}  // namespace pw::net
