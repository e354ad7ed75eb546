#include "core/status.hpp"

namespace pw::core {

std::string_view to_string(stage_status s) noexcept {
  switch (s) {
    case stage_status::pending: return "pending";
    case stage_status::processing: return "processing";
    case stage_status::retrying: return "retrying";
    case stage_status::completed: return "completed";
    case stage_status::failed: return "failed";
    case stage_status::skipped: return "skipped";
  }
  return "pending";
}

std::string_view to_string(item_status s) noexcept {
  switch (s) {
    case item_status::queued: return "queued";
    case item_status::processing: return "processing";
    case item_status::paused: return "paused";
    case item_status::completed: return "completed";
    case item_status::partial: return "partial";
    case item_status::failed: return "failed";
    case item_status::cancelled: return "cancelled";
  }
  return "queued";
}

std::optional<stage_status> parse_stage_status(std::string_view s) noexcept {
  for (auto v : {stage_status::pending, stage_status::processing, stage_status::retrying,
                 stage_status::completed, stage_status::failed, stage_status::skipped})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::optional<item_status> parse_item_status(std::string_view s) noexcept {
  for (auto v : all_item_statuses)
    if (to_string(v) == s) return v;
  return std::nullopt;
}

}  // namespace pw::core
