// An incremental CSV reader (RFC 4180, as spreadsheets write it): bytes go in
// as they arrive, whole rows come out. Fields may be quoted ("a ""b"",
// c"), quoted fields may hold delimiters and line breaks, lines end in \n or
// \r\n, a UTF-8 byte order mark at the start is skipped, blank lines are
// skipped. A malformed row (a quote inside an unquoted field, text after a
// closing quote, a field or row over the limits, a quote left open at the
// end) is reported with the line it starts on, and reading goes on with the
// next row; bad input never throws.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::core {

struct csv_options {
  char delimiter = ',';
  std::size_t max_field_bytes = 1 << 20;
  std::size_t max_fields = 1000;
};

struct csv_row {
  std::size_t line = 0;  // where the row starts, 1-based
  std::vector<std::string> fields;
};

struct csv_problem {
  std::size_t line = 0;
  std::string message;
};

class csv_reader {
 public:
  using row_fn = std::function<void(csv_row&&)>;
  using problem_fn = std::function<void(csv_problem&&)>;

  csv_reader(csv_options o, row_fn on_row, problem_fn on_problem);
  void feed(std::string_view bytes);
  // The input ended: the last row without a line break, or an open quote.
  void finish();
  std::size_t lines() const noexcept { return line_; }

 private:
  enum class state { field_start, unquoted, quoted, quote_in_quoted, after_quote };
  void add_char(char c);
  void end_field();
  void end_row();
  void flag(std::string message);

  csv_options opt_;
  row_fn on_row_;
  problem_fn on_problem_;
  state st_ = state::field_start;
  std::string field_;
  std::vector<std::string> fields_;
  std::size_t line_ = 1, row_line_ = 1, row_bytes_ = 0;
  std::string problem_;       // the row's first problem; the row is reported, not returned
  bool pending_cr_ = false;   // a '\r' ended the last chunk
  std::size_t bom_seen_ = 0;  // bytes of the BOM matched so far, at the very start
  bool started_ = false;
};

}  // namespace pw::core
