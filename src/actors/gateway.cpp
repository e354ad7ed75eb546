#include "actors/gateway.hpp"

#include "core/clock.hpp"

namespace pw::actors {

std::string submit_reply::json() const {
  if (asset)
    return "{\"jobId\":\"" + id + "\",\"assetId\":\"" + id + "\",\"status\":\"processing\",\"created_at\":\"" +
           core::iso8601(created_at_ms) + "\"}";
  return "{\"id\":\"" + id + "\",\"status\":\"queued\",\"created_at\":\"" + core::iso8601(created_at_ms) + "\"}";
}

std::string_view to_string(control_action a) noexcept {
  switch (a) {
    case control_action::pause: return "pause";
    case control_action::resume: return "resume";
    case control_action::cancel: return "cancel";
    case control_action::retry: return "retry";
    case control_action::retry_failed: return "retry";
    case control_action::rerun: return "rerun";
    case control_action::rollback: return "rollback";
    case control_action::remove: return "delete";
    case control_action::resolve: return "resolve";
  }
  return "action";
}

}  // namespace pw::actors
