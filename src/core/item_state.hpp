// The persisted progress of one item through its pipeline (stored in the
// item's record, store/record.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace pw::core {

enum class attempt_outcome : std::uint8_t {
  running,          // started; no outcome yet
  completed,
  transient_error,  // the backend said "try again"
  permanent_error,  // the backend said "this will never work"
  timeout,          // no answer within the stage timeout
  crashed,          // the worker threw or died
  interrupted,      // the node stopped (crash or drain) while it ran
};

std::string_view to_string(attempt_outcome o) noexcept;

struct attempt_record {
  std::uint32_t attempt = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t ended_at_ms = 0;
  attempt_outcome outcome = attempt_outcome::running;
  std::string error;
  bool operator==(const attempt_record&) const = default;
};

struct stage_state {
  stage_status status = stage_status::pending;
  std::uint32_t attempts = 0;       // attempts started so far
  std::int64_t started_at_ms = 0;   // first attempt
  std::int64_t finished_at_ms = 0;  // when it settled
  std::int64_t next_due_ms = 0;     // while retrying: when the next attempt starts
  std::string error;                // last error, if any
  std::vector<attempt_record> log;  // one per attempt, bounded by max_attempts
  bool letter_open = false;         // failed for good with a dead letter not yet requeued or resolved
  bool operator==(const stage_state&) const = default;
};

struct item_state {
  item_status status = item_status::queued;
  std::int64_t started_at_ms = 0;
  std::int64_t completed_at_ms = 0;
  std::uint32_t history_seq = 0;     // entries appended to the item's history so far
  std::vector<stage_state> stages;   // indexed like pipeline::stages
};

}  // namespace pw::core
