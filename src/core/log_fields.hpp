// Log lines as JSON (log.format = "json"): the server logs `key=value`
// pairs ("event=stage.attempt_failed item=01J... attempt=2 error=\"...\"");
// this turns one such message into one JSON object, values typed (numbers
// and booleans bare, the rest strings). A message that is not all pairs
// ("listening on http://...") is kept whole under "msg".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::core {

// The pairs of a key=value message, in order; empty when it is not one.
// A quoted value ends at the quote followed by the end or by " key=".
std::vector<std::pair<std::string, std::string>> parse_log_fields(std::string_view message);

// {"ts":...,"level":...,<fields or "msg">} without a trailing newline.
std::string log_line_json(std::string_view ts, std::string_view level, std::string_view message);

}  // namespace pw::core
