// Structured logs: one line per event, to stderr, UTC timestamps; either
// `key=value` pairs after the level (text) or one JSON object per line
// (json: the same pairs as typed fields, see core/log_fields.hpp).
#pragma once

#include <string>

#include "core/config.hpp"

namespace pw::cli {

void setup_logging(const std::string& level, core::log_encoding format = core::log_encoding::text);

}  // namespace pw::cli
