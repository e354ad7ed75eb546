// What the rows of an imported CSV file mean (net/imports.hpp has the
// format): the header row picks the columns, each data row becomes a
// submission and its row key, or a message saying why the row is rejected.
// No I/O here: the import session streams the file and submits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "core/csv.hpp"
#include "core/result.hpp"
#include "net/auth.hpp"

namespace pw::net {

// The query string of POST /api/v1/imports.
struct import_params {
  std::optional<std::string> workspace;
  std::string text_column, title_column, key_column;
};

// Column indexes into a row (-1: the file has no such column).
struct import_columns {
  int text = -1, title = -1, workspace = -1, key = -1;
  std::vector<std::string> names;
};

// The header row: its columns, or a validation error naming the header.
core::result<import_columns> read_import_header(const core::csv_row& header, const import_params& params);

struct import_row {
  actors::submit_request request;
  std::string key;  // the row key (given, or "sha256:" of the row's mapped fields)
};

// A data row of import `import_id` for `who`: the submission, or why it is
// rejected (a message for the import's report, with the limit it broke).
std::variant<import_row, std::string> read_import_row(const core::csv_row& row, const import_columns& cols,
                                                      const import_params& params, const principal& who,
                                                      const core::limits_config& limits, const std::string& import_id);

// Content types an import accepts: text/csv, application/csv, text/plain.
bool csv_content_type(std::string_view content_type);

}  // namespace pw::net
