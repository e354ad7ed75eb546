// The Batch API's files, read and written (plain C++, no I/O). An input line
// is {"custom_id","method":"POST","url","body"}; an output or error line is
// {"id","custom_id","response":{"status_code","request_id","body"}|null,
// "error":{"code","message"}|null}. Lines that cannot be read are reported,
// never trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pw::stages::providers {

// One input line, with its '\n'. `body_json` is trusted JSON text (ours).
std::string input_line(std::string_view custom_id, std::string_view endpoint, std::string_view body_json);

struct output_line {
  std::string custom_id;
  int status_code = 0;     // 0: no response
  std::string body;        // response.body as JSON text (when status_code is set)
  std::string error;       // error.message, or the body's error message, for a person
  std::string error_code;  // error.code when given
};

struct line_problem {
  std::size_t line = 0;  // 1-based
  std::string message;
};

// Calls `on_line` for each readable line and `on_problem` for each that is
// not (blank lines are skipped). Never throws on bad input.
void read_output_file(std::string_view content, const std::function<void(output_line&&)>& on_line,
                      const std::function<void(line_problem&&)>& on_problem);

// Whether a failed line is worth another try: no response, 408, 409, 429 or
// 5xx; other 4xx are permanent.
bool transient_status(int status_code) noexcept;

}  // namespace pw::stages::providers
