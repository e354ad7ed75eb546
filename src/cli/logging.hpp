// Structured logs: one line per event, `key=value` pairs after the level,
// UTC timestamps, to stderr.
#pragma once

#include <string>

namespace pw::cli {

void setup_logging(const std::string& level);

}  // namespace pw::cli
