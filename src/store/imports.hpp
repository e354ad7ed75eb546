// Reads for CSV imports (net/imports.cpp): the item an imported row's key
// made, and a finished import's report. Exact point lookups.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/database.hpp"

namespace pw::store {

// The item id stored under the workspace's row key, if any.
std::optional<std::string> find_row_key(const database& db, std::string_view workspace, std::string_view row_key);
// (owner, report JSON) of a finished import.
std::optional<std::pair<std::string, std::string>> find_import(const database& db, std::string_view import_id);

}  // namespace pw::store
