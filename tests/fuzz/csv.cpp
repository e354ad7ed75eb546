// The incremental CSV reader (core/csv) behind `POST /api/v1/imports` and
// `pipewright import`: the first byte picks the chunk size. Any bytes give
// rows and problems, never a crash; fields stay within their limits; how the
// input is cut never changes the rows or the problems.
#include <string>
#include <vector>

#include "core/csv.hpp"
#include "fuzz_input.hpp"

namespace {

struct reading {
  std::vector<pw::core::csv_row> rows;
  std::vector<pw::core::csv_problem> problems;
};

reading read(std::string_view bytes, std::size_t chunk, const pw::core::csv_options& o) {
  reading out;
  pw::core::csv_reader r(o, [&](pw::core::csv_row&& row) { out.rows.push_back(std::move(row)); },
                         [&](pw::core::csv_problem&& p) { out.problems.push_back(std::move(p)); });
  for (std::size_t at = 0; at < bytes.size(); at += chunk) r.feed(bytes.substr(at, chunk));
  r.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const std::size_t chunk = 1 + in.byte() % 32;
  const auto bytes = in.rest();
  pw::core::csv_options o;
  o.max_field_bytes = 64;
  o.max_fields = 16;

  auto whole = read(bytes, bytes.size() + 1, o);
  auto cut = read(bytes, chunk, o);
  PWFUZZ_CHECK(whole.rows.size() == cut.rows.size() && whole.problems.size() == cut.problems.size());
  std::size_t last_line = 0;
  for (std::size_t i = 0; i < whole.rows.size(); ++i) {
    const auto& row = whole.rows[i];
    PWFUZZ_CHECK(row.line >= 1 && row.line >= last_line);
    last_line = row.line;
    PWFUZZ_CHECK(row.fields.size() <= o.max_fields);
    for (const auto& f : row.fields) PWFUZZ_CHECK(f.size() <= o.max_field_bytes);
    PWFUZZ_CHECK(row.line == cut.rows[i].line && row.fields == cut.rows[i].fields);
  }
  for (std::size_t i = 0; i < whole.problems.size(); ++i) {
    PWFUZZ_CHECK(!whole.problems[i].message.empty());
    PWFUZZ_CHECK(whole.problems[i].line == cut.problems[i].line);
  }
  return 0;
}
