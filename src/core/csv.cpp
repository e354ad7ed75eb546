#include "core/csv.hpp"

#include <fmt/format.h>

namespace pw::core {

namespace {
constexpr unsigned char bom[] = {0xEF, 0xBB, 0xBF};
}

csv_reader::csv_reader(csv_options o, row_fn on_row, problem_fn on_problem)
    : opt_(o), on_row_(std::move(on_row)), on_problem_(std::move(on_problem)) {}

void csv_reader::flag(std::string message) {
  if (problem_.empty()) problem_ = std::move(message);
}

void csv_reader::add_char(char c) {
  if (!problem_.empty()) return;  // the row is reported, not returned: its text is not kept
  if (field_.size() >= opt_.max_field_bytes) {
    flag(fmt::format("a field is longer than {} bytes", opt_.max_field_bytes));
    return;
  }
  field_.push_back(c);
}

void csv_reader::end_field() {
  if (!problem_.empty() || fields_.size() >= opt_.max_fields) {
    flag(fmt::format("more than {} fields", opt_.max_fields));
    field_.clear();
    return;
  }
  fields_.push_back(std::move(field_));
  field_.clear();
}

void csv_reader::end_row() {
  end_field();
  const bool blank = fields_.size() == 1 && fields_[0].empty() && problem_.empty();
  if (!problem_.empty()) on_problem_(csv_problem{row_line_, std::move(problem_)});
  else if (!blank) on_row_(csv_row{row_line_, std::move(fields_)});
  fields_.clear();
  problem_.clear();
  st_ = state::field_start;
  row_line_ = line_;
}

void csv_reader::feed(std::string_view in) {
  std::size_t i = 0;
  // The byte order mark, possibly split over chunks.
  while (!started_ && i < in.size()) {
    if (static_cast<unsigned char>(in[i]) == bom[bom_seen_]) {
      ++i;
      if (++bom_seen_ == 3) started_ = true;
      continue;
    }
    started_ = true;
    // A partial BOM was text after all.
    for (std::size_t k = 0; k < bom_seen_; ++k) feed(std::string_view(reinterpret_cast<const char*>(bom) + k, 1));
  }
  for (; i < in.size(); ++i) {
    const char c = in[i];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') continue;  // the \n of a \r\n that ended the last chunk
    }
    switch (st_) {
      case state::field_start:
      case state::unquoted:
      case state::after_quote:
        if (c == '\r' || c == '\n') {
          ++line_;
          if (c == '\r') {
            if (i + 1 < in.size()) {
              if (in[i + 1] == '\n') ++i;
            } else {
              pending_cr_ = true;
            }
          }
          end_row();
        } else if (c == opt_.delimiter) {
          end_field();
          st_ = state::field_start;
        } else if (st_ == state::field_start && c == '"') {
          st_ = state::quoted;
        } else if (st_ == state::after_quote) {
          flag(fmt::format("text after a closing quote in field {}", fields_.size() + 1));
          add_char(c);
        } else {
          if (c == '"') flag(fmt::format("a quote inside unquoted field {} (quote the field and double the quote)", fields_.size() + 1));
          add_char(c);
          st_ = state::unquoted;
        }
        break;
      case state::quoted:
        if (c == '"') st_ = state::quote_in_quoted;
        else {
          if (c == '\n') ++line_;
          add_char(c);
        }
        break;
      case state::quote_in_quoted:
        if (c == '"') {
          add_char('"');
          st_ = state::quoted;
        } else {
          st_ = state::after_quote;
          --i;  // the closing quote ended the field's text: read c again
        }
        break;
    }
    if (++row_bytes_ > opt_.max_field_bytes * 4 && st_ != state::field_start) {
      // Runaway rows (an unclosed quote swallowing the file) stop growing.
      flag(fmt::format("the row is longer than {} bytes", opt_.max_field_bytes * 4));
    }
    if (st_ == state::field_start && fields_.empty() && field_.empty()) row_bytes_ = 0;
  }
}

void csv_reader::finish() {
  if (!started_ && bom_seen_ > 0) {
    started_ = true;
    std::string partial(reinterpret_cast<const char*>(bom), bom_seen_);
    bom_seen_ = 0;
    feed(partial);
  }
  if (st_ == state::quoted) {
    on_problem_(csv_problem{row_line_, "a quoted field is never closed"});
    fields_.clear();
    field_.clear();
    problem_.clear();
    st_ = state::field_start;
    return;
  }
  if (st_ != state::field_start || !fields_.empty() || !field_.empty() || !problem_.empty()) end_row();
}

}  // namespace pw::core
