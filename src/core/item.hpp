// A work item as the caller submitted it. Immutable once accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pw::core {

struct item {
  std::string id;          // ULID, 26 characters (core/ids.hpp)
  std::string owner;       // the JWT `sub` that submitted it
  std::string workspace;
  std::string pipeline;    // the pipeline it runs through, e.g. "feedback"
  std::optional<std::string> title;
  std::string text;
  std::string metadata_json = "{}";  // a JSON object, kept as compact text
  std::int64_t created_at_ms = 0;
};

}  // namespace pw::core
