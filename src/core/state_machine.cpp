#include "core/state_machine.hpp"

#include <fmt/format.h>

namespace pw::core {

std::string_view to_string(attempt_outcome o) noexcept {
  switch (o) {
    case attempt_outcome::running: return "running";
    case attempt_outcome::completed: return "completed";
    case attempt_outcome::transient_error: return "transient_error";
    case attempt_outcome::permanent_error: return "permanent_error";
    case attempt_outcome::timeout: return "timeout";
    case attempt_outcome::crashed: return "crashed";
    case attempt_outcome::interrupted: return "interrupted";
  }
  return "running";
}

bool transition_allowed(stage_status from, stage_status to) noexcept {
  using s = stage_status;
  switch (from) {
    case s::pending: return to == s::processing || to == s::skipped;
    // processing -> pending: the attempt was interrupted (restart, drain, pause).
    // processing -> skipped: the item was cancelled while it ran.
    case s::processing:
      return to == s::completed || to == s::failed || to == s::retrying || to == s::pending || to == s::skipped;
    // retrying -> pending: an operator reset; -> failed: given up; -> skipped: cancelled.
    case s::retrying: return to == s::processing || to == s::pending || to == s::failed || to == s::skipped;
    // Settled stages only go back to pending, by an operator's retry or rollback.
    case s::completed:
    case s::failed:
    case s::skipped: return to == s::pending;
  }
  return false;
}

bool transition_allowed(item_status from, item_status to) noexcept {
  using s = item_status;
  switch (from) {
    case s::queued: return to == s::processing || to == s::paused || to == s::cancelled;
    case s::processing:
      return to == s::completed || to == s::partial || to == s::failed || to == s::paused ||
             to == s::cancelled;
    case s::paused: return to == s::queued || to == s::processing || to == s::cancelled;
    // A finished item can be queued again by retry or rollback.
    case s::completed:
    case s::partial:
    case s::failed: return to == s::queued;
    case s::cancelled: return false;
  }
  return false;
}

result<history_entry> transition(stage_state& s, std::string_view stage_name, stage_status to,
                                 std::int64_t now_ms, std::string cause) {
  if (!transition_allowed(s.status, to))
    return make_error(errc::invalid_transition,
                      fmt::format("stage '{}' is {} and cannot become {}", stage_name,
                                  to_string(s.status), to_string(to)));
  history_entry e{now_ms, std::string(stage_name), std::string(to_string(s.status)),
                  std::string(to_string(to)), s.attempts, std::move(cause)};
  s.status = to;
  return e;
}

result<history_entry> transition(item_state& s, item_status to, std::int64_t now_ms, std::string cause) {
  if (!transition_allowed(s.status, to))
    return make_error(errc::invalid_transition,
                      fmt::format("item is {} and cannot become {}", to_string(s.status), to_string(to)));
  history_entry e{now_ms, {}, std::string(to_string(s.status)), std::string(to_string(to)), 0,
                  std::move(cause)};
  s.status = to;
  return e;
}

}  // namespace pw::core
