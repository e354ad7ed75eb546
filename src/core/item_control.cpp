// Operator actions on an item's run: pause, resume, cancel, retry, rerun,
// rollback. Like the rest of item_run, pure state changes through the state
// machine; the supervisor persists the step and acts on it.
#include <algorithm>

#include <fmt/format.h>

#include "core/item_run.hpp"

namespace pw::core {

namespace {

error refused(const item_state& s, std::string_view action, std::string_view why = {}) {
  return make_error(errc::invalid_transition,
                    why.empty() ? fmt::format("cannot {}: the item is {}", action, to_string(s.status))
                                : fmt::format("cannot {}: the item is {} and {}", action, to_string(s.status), why));
}

}  // namespace

result<void> item_run::item_to(step& out, item_status to, std::int64_t now_ms, std::string cause) {
  auto e = transition(s_, to, now_ms, std::move(cause));
  if (!e) return std::move(e).err();
  out.history.push_back(std::move(e).value());
  ++s_.history_seq;
  return ok();
}

void item_run::reset_stage(step& out, stage_index i, std::int64_t now_ms, std::string cause) {
  auto& st = s_.stages[i];
  if (st.status == stage_status::pending) return;
  if (st.status == stage_status::retrying) out.cleared_timers.emplace_back(i, st.next_due_ms);
  if (st.letter_open) out.undead.push_back(i);
  st.letter_open = false;
  if (st.status == stage_status::completed) out.reset.push_back(i);
  apply(out, transition(st, p_.stage(i).name, stage_status::pending, now_ms, std::move(cause)));
  // A fresh attempt budget; the old attempts stay in the history.
  st.attempts = 0;
  st.log.clear();
  st.error.clear();
  st.started_at_ms = st.finished_at_ms = st.next_due_ms = 0;
}

result<step> item_run::pause(std::int64_t now_ms) {
  if (s_.status != item_status::queued && s_.status != item_status::processing) return refused(s_, "pause");
  step out;
  if (auto r = item_to(out, item_status::paused, now_ms, "paused by request"); !r) return std::move(r).err();
  return out;
}

result<step> item_run::resume(std::int64_t now_ms, bool live) {
  if (s_.status != item_status::paused) return refused(s_, "resume", "only a paused item can be resumed");
  step out;
  if (live) {
    if (auto r = item_to(out, item_status::processing, now_ms, "resumed by request"); !r) return std::move(r).err();
    advance(out, now_ms);
  } else {
    if (auto r = item_to(out, item_status::queued, now_ms, "resumed by request"); !r) return std::move(r).err();
  }
  return out;
}

result<step> item_run::cancel(std::int64_t now_ms) {
  if (is_terminal(s_.status)) return refused(s_, "cancel", "has already finished");
  step out;
  for (std::size_t i = 0; i < s_.stages.size(); ++i) {
    auto& st = s_.stages[i];
    if (is_settled(st.status)) continue;
    if (st.status == stage_status::retrying) out.cleared_timers.emplace_back(static_cast<stage_index>(i), st.next_due_ms);
    if (st.status == stage_status::processing && !st.log.empty() && st.log.back().outcome == attempt_outcome::running) {
      st.log.back().outcome = attempt_outcome::interrupted;
      st.log.back().ended_at_ms = now_ms;
    }
    st.finished_at_ms = now_ms;
    st.next_due_ms = 0;
    apply(out, transition(st, p_.stage(static_cast<stage_index>(i)).name, stage_status::skipped, now_ms, "item cancelled"));
  }
  s_.completed_at_ms = now_ms;
  if (auto r = item_to(out, item_status::cancelled, now_ms, "cancelled by request"); !r) return std::move(r).err();
  out.finished = true;
  return out;
}

result<step> item_run::retry(const std::vector<stage_index>& stages, std::int64_t now_ms, bool live) {
  const bool finished = s_.status == item_status::completed || s_.status == item_status::partial ||
                        s_.status == item_status::failed;
  if (s_.status == item_status::cancelled || s_.status == item_status::queued) return refused(s_, "retry");
  if (stages.empty()) return refused(s_, "retry", "no stage was named");
  for (auto i : stages) {
    if (i >= s_.stages.size()) return refused(s_, "retry", "a stage index is out of range");
    if (s_.stages[i].status != stage_status::failed)
      return refused(s_, "retry",
                     fmt::format("stage '{}' is {} (only failed stages can be retried)", p_.stage(i).name,
                                 to_string(s_.stages[i].status)));
  }
  step out;
  std::vector<bool> reset(s_.stages.size(), false);
  for (auto i : stages) {
    // The stage, and whatever was skipped because of it.
    for (auto d : p_.downstream_of(i)) {
      auto st = s_.stages[d].status;
      if (d == i || st == stage_status::skipped) reset[d] = true;
    }
  }
  for (std::size_t i = 0; i < reset.size(); ++i)
    if (reset[i]) reset_stage(out, static_cast<stage_index>(i), now_ms, "retry requested");
  if (finished) {
    s_.started_at_ms = s_.completed_at_ms = 0;  // a new run: its duration counts from its own start
    if (auto r = item_to(out, item_status::queued, now_ms, "retry requested"); !r) return std::move(r).err();
  } else if (live && s_.status == item_status::processing) {
    advance(out, now_ms);
  }
  return out;
}

result<step> item_run::rerun(std::int64_t now_ms) {
  if (s_.status != item_status::completed && s_.status != item_status::partial && s_.status != item_status::failed)
    return refused(s_, "run the whole pipeline again", "has not finished");
  step out;
  for (std::size_t i = 0; i < s_.stages.size(); ++i) reset_stage(out, static_cast<stage_index>(i), now_ms, "rerun requested");
  s_.started_at_ms = s_.completed_at_ms = 0;  // a new run: its duration counts from its own start
  if (auto r = item_to(out, item_status::queued, now_ms, "rerun requested"); !r) return std::move(r).err();
  return out;
}

result<step> item_run::rollback(stage_index stage, std::int64_t now_ms) {
  const bool finished = s_.status == item_status::completed || s_.status == item_status::partial ||
                        s_.status == item_status::failed;
  if (!finished && s_.status != item_status::paused)
    return refused(s_, "roll back", "stages may still run (pause it first)");
  if (stage >= s_.stages.size()) return refused(s_, "roll back", "the stage index is out of range");
  for (auto d : p_.downstream_of(stage))
    if (s_.stages[d].status == stage_status::processing)
      return refused(s_, "roll back", fmt::format("stage '{}' is still running", p_.stage(d).name));
  step out;
  const auto cause = fmt::format("rollback to '{}' requested", p_.stage(stage).name);
  for (auto d : p_.downstream_of(stage)) reset_stage(out, d, now_ms, cause);
  if (finished) {
    s_.started_at_ms = s_.completed_at_ms = 0;  // a new run: its duration counts from its own start
    if (auto r = item_to(out, item_status::queued, now_ms, cause); !r) return std::move(r).err();
  }
  return out;
}

result<step> item_run::resolve_letter(stage_index stage, std::int64_t now_ms) {
  auto& st = s_.stages.at(stage);
  if (st.status != stage_status::failed || !st.letter_open)
    return refused(s_, "resolve", fmt::format("stage '{}' has no open dead letter", p_.stage(stage).name));
  step out;
  st.letter_open = false;
  out.undead.push_back(stage);
  // Not a change of status, but an action: it goes into the history too.
  out.history.push_back(history_entry{now_ms, p_.stage(stage).name, "failed", "failed", st.attempts,
                                      "dead letter resolved without a retry"});
  ++s_.history_seq;
  return out;
}

step item_run::unstart(stage_index stage, std::int64_t now_ms, std::string_view why) {
  step out;
  auto& st = s_.stages.at(stage);
  if (st.status != stage_status::processing) return out;
  if (!st.log.empty()) st.log.pop_back();
  if (st.attempts > 0) --st.attempts;
  apply(out, transition(st, p_.stage(stage).name, stage_status::pending, now_ms, std::string(why)));
  if (st.attempts == 0) st.started_at_ms = 0;
  return out;
}

}  // namespace pw::core
