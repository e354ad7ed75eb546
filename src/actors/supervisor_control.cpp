// Operator actions in the item supervisor: each is applied through the
// planner, persisted like any other step, and answered once it is durable.
#include <fmt/format.h>

#include "actors/supervisor_impl.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/kill_point.hpp"

namespace pw::actors {

void supervisor::on_control(const control_ptr& c) {
  const auto& req = c->request;
  if (removed_) return c->done(core::make_error(core::errc::not_found, fmt::format("no item '{}'", item_->id)));
  if (draining_) return c->done(core::make_error(core::errc::draining, "the node is shutting down; retry later"));
  if (req.action == control_action::remove) return remove(c);
  auto step = apply(req);
  if (!step) {
    c->done(step.err());
    return maybe_quit();
  }
  PW_KILL_POINT(control_apply);
  if (req.action == control_action::cancel) stop_work();
  persist(std::move(step).value(), nullptr, c);
  // A live supervisor runs an item it made runnable again itself.
  if (!control_mode_ && state_.status == core::item_status::queued) begin();
}

core::result<core::step> supervisor::apply(const control_request& req) {
  const auto now = core::now_ms();
  switch (req.action) {
    case control_action::pause: return run_.pause(now);
    case control_action::resume: return run_.resume(now, !control_mode_);
    case control_action::cancel: return run_.cancel(now);
    case control_action::rerun: return run_.rerun(now);
    case control_action::retry: {
      auto stages = resolve_stages(req, "retry");
      if (!stages) return std::move(stages).err();
      return run_.retry(stages.value(), now, !control_mode_);
    }
    case control_action::retry_failed: {
      std::vector<stage_index> failed;
      for (std::size_t i = 0; i < state_.stages.size(); ++i)
        if (state_.stages[i].status == core::stage_status::failed) failed.push_back(static_cast<stage_index>(i));
      if (failed.empty())
        return core::make_error(core::errc::invalid_transition,
                                fmt::format("cannot retry: the item is {} and has no failed stage",
                                            core::to_string(state_.status)));
      return run_.retry(failed, now, !control_mode_);
    }
    case control_action::rollback: {
      auto stages = resolve_stages(req, "roll back");
      if (!stages) return std::move(stages).err();
      return run_.rollback(stages.value().front(), now);
    }
    case control_action::resolve: {
      auto stages = resolve_stages(req, "resolve");
      if (!stages) return std::move(stages).err();
      return run_.resolve_letter(stages.value().front(), now);
    }
    case control_action::remove: break;
  }
  return core::make_error(core::errc::internal, "unknown action");
}

// Stage names to indices. An unknown name is refused like any other action
// the item cannot take (409), naming the item's status and its stages.
core::result<std::vector<stage_index>> supervisor::resolve_stages(const control_request& req, std::string_view verb) const {
  const bool single = req.action == control_action::rollback || req.action == control_action::resolve;
  auto refuse = [&](std::string why) {
    return core::make_error(core::errc::invalid_transition,
                            fmt::format("cannot {}: the item is {} and {}", verb, core::to_string(state_.status), why));
  };
  if (req.stages.empty()) return refuse("no stage was named");
  if (single && req.stages.size() != 1) return refuse("exactly one stage must be named");
  std::vector<stage_index> out;
  for (const auto& name : req.stages) {
    auto idx = pipe_.index_of(name);
    if (!idx) {
      std::string names;
      for (const auto& s : pipe_.stages()) names += (names.empty() ? "" : ", ") + s.name;
      return refuse(fmt::format("it has no stage '{}' (stages: {})", name, names));
    }
    if (std::find(out.begin(), out.end(), *idx) == out.end()) out.push_back(*idx);
  }
  return out;
}

// Delete: stop quietly. What is already in flight is written first; then the
// item's records go, with no event.
void supervisor::remove(const control_ptr& c) {
  stop_work();
  removed_ = true;
  follow_up f;
  f.deleted = true;
  f.replies.push_back(c);
  pending_delete_ = std::move(f);
  flush();
}

// Control mode: the action is durable. An item that can run again goes back
// to admission, which starts it in turn.
void supervisor::give_back() {
  if (!removed_ && (state_.status == core::item_status::queued || state_.status == core::item_status::processing)) {
    auto rec = std::make_shared<store::stored_item>();
    rec->item = *item_;
    rec->state = state_;
    for (const auto& [stage, result] : results_.entries()) rec->results.emplace_back(stage, core::to_json(*result));
    self_->send(admission_, requeue_atom::value, std::move(rec));
  }
  stop(caf::error{});
}

}  // namespace pw::actors
