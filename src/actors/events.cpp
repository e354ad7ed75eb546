#include "actors/events.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace pw::actors {

namespace {

void field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  core::append_json_string(out, value);
}

void head(std::string& out, std::string_view type, const core::item& it) {
  out += "\"type\":\"";
  out += type;
  out += '"';
  field(out, "item_id", it.id);
  field(out, "workspace", it.workspace);
}

void append_errors(std::string& out, const core::pipeline& p, const core::item_state& s) {
  out += ",\"errors\":[";
  bool first = true;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const auto& st = s.stages[i];
    if (st.status != core::stage_status::failed && st.status != core::stage_status::skipped) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"stage\":";
    core::append_json_string(out, p.stages()[i].name);
    field(out, "status", core::to_string(st.status));
    if (!st.error.empty()) field(out, "error", st.error);
    out += '}';
  }
  out += ']';
}

void append_attempts(std::string& out, const core::stage_state& st) {
  out += ",\"attempts\":[";
  for (std::size_t k = 0; k < st.log.size(); ++k) {
    const auto& a = st.log[k];
    if (k) out += ',';
    fmt::format_to(std::back_inserter(out), "{{\"attempt\":{},\"started_at\":\"{}\",\"ended_at\":\"{}\",\"outcome\":\"{}\"",
                   a.attempt, core::iso8601(a.started_at_ms), core::iso8601(a.ended_at_ms), core::to_string(a.outcome));
    if (!a.error.empty()) field(out, "error", a.error);
    out += '}';
  }
  out += ']';
}

}  // namespace

std::string result_summary(const core::pipeline& p, const core::item_state& s, const stages::stage_results& r) {
  std::string out = "{";
  bool first = true;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (s.stages[i].status != core::stage_status::completed) continue;
    const auto* obj = r.find(p.stages()[i].name);
    if (!obj) continue;
    if (!first) out += ',';
    first = false;
    core::append_json_string(out, p.stages()[i].name);
    out += ":{";
    bool first_field = true;
    for (const auto& kv : *obj) {
      if (kv.key() == "vector") continue;
      if (!first_field) out += ',';
      first_field = false;
      core::append_json_string(out, kv.key());
      out += ':';
      core::append_json(out, kv.value());
    }
    out += '}';
  }
  out += '}';
  return out;
}

bool emits_stage_event(core::stage_events_mode mode, std::string_view to) noexcept {
  switch (mode) {
    case core::stage_events_mode::all: return true;
    case core::stage_events_mode::settled: return to != "processing";
    case core::stage_events_mode::none: return false;
  }
  return true;
}

std::string stage_updated_event(const core::item& it, const core::history_entry& e, const core::stage_state& s) {
  std::string out;
  out.reserve(160);
  head(out, "stage.updated", it);
  field(out, "stage", e.stage);
  field(out, "status", e.to);
  fmt::format_to(std::back_inserter(out), ",\"attempt\":{}", e.attempt);
  if (e.to == "retrying") {
    field(out, "error", s.error);
    field(out, "next_retry_at", core::iso8601(s.next_due_ms));
  } else if (e.to == "failed" || e.to == "skipped") {
    field(out, "error", e.cause);
  }
  return out;
}

std::string item_updated_event(const core::item& it, const core::history_entry& e) {
  std::string out;
  head(out, "item.updated", it);
  field(out, "status", e.to);
  field(out, "previous", e.from);
  field(out, "cause", e.cause);
  return out;
}

std::string item_finished_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                                const stages::stage_results& r) {
  const bool failed = s.status == core::item_status::failed;
  std::string out;
  out.reserve(512);
  head(out, failed ? "item.failed" : "item.completed", it);
  field(out, "status", core::to_string(s.status));
  fmt::format_to(std::back_inserter(out), ",\"duration_ms\":{}", s.completed_at_ms - s.started_at_ms);
  if (failed) {
    std::string first_error;
    for (std::size_t i = 0; i < s.stages.size() && first_error.empty(); ++i)
      if (s.stages[i].status == core::stage_status::failed)
        first_error = fmt::format("stage '{}': {}", p.stages()[i].name, s.stages[i].error);
    field(out, "error", first_error);
  }
  out += ",\"result\":";
  out += result_summary(p, s, r);
  if (s.status != core::item_status::completed) append_errors(out, p, s);
  return out;
}

std::string dead_letter_record(const core::item& it, const core::pipeline& p, const core::item_state& s,
                               core::stage_index stage) {
  const auto& st = s.stages[stage];
  std::string out = "{\"id\":";
  core::append_json_string(out, it.id + ":" + p.stages()[stage].name);
  field(out, "item_id", it.id);
  field(out, "stage", p.stages()[stage].name);
  field(out, "owner", it.owner);
  field(out, "workspace", it.workspace);
  field(out, "status", "open");
  field(out, "error", st.error);
  field(out, "at", core::iso8601(st.finished_at_ms));
  append_attempts(out, st);
  out += '}';
  return out;
}

std::string dead_letter_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                              core::stage_index stage) {
  const auto& st = s.stages[stage];
  std::string out;
  head(out, "dlq.added", it);
  field(out, "room", "admins");  // its seq counts in the admins room, not the user's
  field(out, "stage", p.stages()[stage].name);
  field(out, "owner", it.owner);
  field(out, "error", st.error);
  fmt::format_to(std::back_inserter(out), ",\"attempts\":{}", st.attempts);
  return out;
}

}  // namespace pw::actors
