#include "core/item_run.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace pw::core {

item_run::item_run(const pipeline& p, item_state& s) : p_(p), s_(s) {
  if (s_.stages.size() != p_.size())
    throw std::logic_error(fmt::format("item_run: state has {} stages, pipeline '{}' has {}", s_.stages.size(),
                                       p_.name(), p_.size()));
}

void item_run::apply(step& out, result<history_entry> r) {
  // The planner only asks for transitions the table allows; a refusal here is a bug.
  if (!r) throw std::logic_error("item_run: " + r.err().message);
  out.history.push_back(std::move(r).value());
  ++s_.history_seq;
}

bool item_run::is_current(stage_index stage, std::uint32_t attempt) const noexcept {
  return stage < s_.stages.size() && s_.stages[stage].status == stage_status::processing &&
         s_.stages[stage].attempts == attempt;
}

bool item_run::is_retry_current(stage_index stage, std::uint32_t attempt) const noexcept {
  return stage < s_.stages.size() && s_.stages[stage].status == stage_status::retrying &&
         s_.stages[stage].attempts == attempt;
}

void item_run::start_stage(step& out, stage_index i, std::int64_t now_ms, std::string cause) {
  auto& st = s_.stages[i];
  ++st.attempts;
  if (st.started_at_ms == 0) st.started_at_ms = now_ms;
  st.next_due_ms = 0;
  st.log.push_back(attempt_record{st.attempts, now_ms, 0, attempt_outcome::running, {}});
  apply(out, transition(st, p_.stage(i).name, stage_status::processing, now_ms, std::move(cause)));
  out.start.push_back(i);
}

void item_run::settle_failed(step& out, stage_index i, std::int64_t now_ms, std::string message) {
  auto& st = s_.stages[i];
  st.error = message;
  st.letter_open = true;
  st.finished_at_ms = now_ms;
  st.next_due_ms = 0;
  apply(out, transition(st, p_.stage(i).name, stage_status::failed, now_ms, std::move(message)));
  out.dead.push_back(i);
}

step item_run::begin(std::int64_t now_ms) {
  step out;
  if (s_.status == item_status::queued) {
    if (s_.started_at_ms == 0) s_.started_at_ms = now_ms;
    apply(out, transition(s_, item_status::processing, now_ms, "started"));
  }
  for (std::size_t i = 0; i < s_.stages.size(); ++i) {
    auto& st = s_.stages[i];
    if (st.status == stage_status::processing && p_.stage(static_cast<stage_index>(i)).resumable) {
      // Its request is durable at the provider: the same attempt goes on.
      out.resume.push_back(static_cast<stage_index>(i));
    } else if (st.status == stage_status::processing) {
      if (!st.log.empty() && st.log.back().outcome == attempt_outcome::running) {
        st.log.back().outcome = attempt_outcome::interrupted;
        st.log.back().ended_at_ms = now_ms;
      }
      apply(out, transition(st, p_.stage(static_cast<stage_index>(i)).name, stage_status::pending, now_ms,
                            "attempt interrupted by a restart"));
    } else if (st.status == stage_status::retrying) {
      out.rearm.push_back(static_cast<stage_index>(i));
    }
  }
  advance(out, now_ms);
  return out;
}

step item_run::complete(stage_index stage, std::int64_t now_ms) {
  step out;
  auto& st = s_.stages.at(stage);
  if (!st.log.empty()) {
    st.log.back().outcome = attempt_outcome::completed;
    st.log.back().ended_at_ms = now_ms;
  }
  st.finished_at_ms = now_ms;
  st.error.clear();
  apply(out, transition(st, p_.stage(stage).name, stage_status::completed, now_ms,
                        fmt::format("attempt {} succeeded", st.attempts)));
  advance(out, now_ms);
  return out;
}

step item_run::fail(stage_index stage, const stage_failure& failure, std::int64_t now_ms, double unit_random) {
  step out;
  auto& st = s_.stages.at(stage);
  const auto& policy = p_.stage(stage).retry;
  if (!st.log.empty()) {
    st.log.back().outcome = failure.outcome;
    st.log.back().ended_at_ms = now_ms;
    st.log.back().error = failure.message;
  }
  std::string what = fmt::format("attempt {} {}: {}", st.attempts, to_string(failure.outcome), failure.message);
  if (!failure.permanent() && st.attempts < policy.max_attempts) {
    st.error = failure.message;
    st.next_due_ms = now_ms + backoff_delay(policy, st.attempts, unit_random).count();
    apply(out, transition(st, p_.stage(stage).name, stage_status::retrying, now_ms,
                          fmt::format("{}; retry at +{} ms", what, st.next_due_ms - now_ms)));
    out.retry.push_back(stage);
  } else {
    if (!failure.permanent()) what += fmt::format(" (attempts exhausted: {}/{})", st.attempts, policy.max_attempts);
    settle_failed(out, stage, now_ms, std::move(what));
  }
  advance(out, now_ms);
  return out;
}

step item_run::retry_due(stage_index stage, std::int64_t now_ms) {
  step out;
  out.cleared_timers.emplace_back(stage, s_.stages.at(stage).next_due_ms);
  start_stage(out, stage, now_ms, "retry");
  return out;
}

void item_run::advance(step& out, std::int64_t now_ms) {
  if (s_.status != item_status::processing) return;
  // Topological order: a skip propagates to every descendant in one pass.
  for (std::size_t i = 0; i < s_.stages.size(); ++i) {
    auto& st = s_.stages[i];
    if (st.status != stage_status::pending) continue;
    const auto& spec = p_.stage(static_cast<stage_index>(i));
    const std::string* broken = nullptr;
    bool ready = true;
    for (auto d : spec.deps) {
      auto ds = s_.stages[d].status;
      if (ds == stage_status::failed || ds == stage_status::skipped) {
        broken = &p_.stage(d).name;
        break;
      }
      if (ds != stage_status::completed) ready = false;
    }
    if (broken) {
      st.finished_at_ms = now_ms;
      st.error = fmt::format("dependency '{}' did not complete", *broken);
      apply(out, transition(st, spec.name, stage_status::skipped, now_ms, st.error));
    } else if (ready) {
      start_stage(out, static_cast<stage_index>(i), now_ms, "dependencies completed");
    }
  }
  for (const auto& st : s_.stages)
    if (!is_settled(st.status)) return;
  s_.completed_at_ms = now_ms;
  auto final = final_status(s_);
  apply(out, transition(s_, final, now_ms,
                        final == item_status::completed ? "every stage completed" : "some stages did not complete"));
  out.finished = true;
}

item_status final_status(const item_state& s) noexcept {
  bool any_completed = false, all_completed = true;
  for (const auto& st : s.stages) {
    if (st.status == stage_status::completed) any_completed = true;
    else all_completed = false;
  }
  if (all_completed) return item_status::completed;
  return any_completed ? item_status::partial : item_status::failed;
}

}  // namespace pw::core
