#include "net/render.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "actors/events.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"

namespace pw::net {

namespace {

void key(std::string& out, std::string_view k) {
  core::append_json_string(out, k);
  out += ':';
}

void str_field(std::string& out, std::string_view k, std::string_view v) {
  key(out, k);
  core::append_json_string(out, v);
  out += ',';
}

void time_field(std::string& out, std::string_view k, std::int64_t ms) {
  key(out, k);
  if (ms > 0) {
    out += '"';
    out += core::iso8601(ms);
    out += '"';
  } else {
    out += "null";
  }
  out += ',';
}

void close_object(std::string& out) {
  if (out.back() == ',') out.back() = '}';
  else out += '}';
}

std::string_view find_result(const stored_results& results, std::string_view stage) {
  for (const auto& [name, json] : results)
    if (name == stage) return json;
  return {};
}

void stage_fields(std::string& out, const core::stage_state& st) {
  str_field(out, "status", core::to_string(st.status));
  fmt::format_to(std::back_inserter(out), "\"attempts\":{},", st.attempts);
  time_field(out, "started_at", st.started_at_ms);
  time_field(out, "finished_at", st.finished_at_ms);
  if (st.status == core::stage_status::retrying) time_field(out, "next_retry_at", st.next_due_ms);
  if (!st.error.empty() && st.status != core::stage_status::completed) str_field(out, "error", st.error);
}

void timing(std::string& out, const core::item_state& s) {
  time_field(out, "started_at", s.started_at_ms);
  time_field(out, "completed_at", s.completed_at_ms);
  key(out, "duration_ms");
  if (s.completed_at_ms > 0 && s.started_at_ms > 0) fmt::format_to(std::back_inserter(out), "{},", s.completed_at_ms - s.started_at_ms);
  else out += "null,";
}

void errors(std::string& out, const core::pipeline& p, const core::item_state& s) {
  key(out, "errors");
  out += '[';
  bool first = true;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& st = s.stages[i];
    if (st.error.empty() || st.status == core::stage_status::completed) continue;
    if (!first) out += ',';
    first = false;
    out += '{';
    str_field(out, "stage", p.stages()[i].name);
    str_field(out, "status", core::to_string(st.status));
    str_field(out, "error", st.error);
    close_object(out);
  }
  out += "],";
}

}  // namespace

std::string public_result(std::string_view json, bool with_vector) {
  if (with_vector || json.find("\"vector\"") == std::string_view::npos) return std::string(json);
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::string(json);
  v.as_object().erase("vector");
  std::string out;
  core::append_json(out, v);
  return out;
}

std::string render_item(const core::item& it, const core::pipeline& p, const core::item_state& s,
                        const stored_results& results, bool with_vectors) {
  std::string out = "{";
  str_field(out, "id", it.id);
  str_field(out, "owner", it.owner);
  str_field(out, "workspace", it.workspace);
  str_field(out, "pipeline", it.pipeline);
  key(out, "title");
  if (it.title) core::append_json_string(out, *it.title);
  else out += "null";
  out += ',';
  str_field(out, "text", it.text);
  key(out, "metadata");
  out += it.metadata_json;
  out += ',';
  str_field(out, "status", core::to_string(s.status));
  time_field(out, "created_at", it.created_at_ms);
  timing(out, s);
  key(out, "stages");
  out += '{';
  stages::stage_results parsed;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& name = p.stages()[i].name;
    key(out, name);
    out += '{';
    stage_fields(out, s.stages[i]);
    auto json = find_result(results, name);
    if (!json.empty() && s.stages[i].status == core::stage_status::completed) {
      key(out, "result");
      out += public_result(json, with_vectors);
      out += ',';
      boost::system::error_code ec;
      auto v = boost::json::parse(json, ec);
      if (!ec && v.is_object()) parsed.set(name, std::make_shared<const boost::json::object>(std::move(v.as_object())));
    }
    close_object(out);
    out += ',';
  }
  close_object(out);
  out += ',';
  key(out, "result");
  if (core::is_terminal(s.status)) out += actors::result_summary(p, s, parsed);
  else out += "null";
  out += ',';
  errors(out, p, s);
  close_object(out);
  return out;
}

std::string render_summary(const core::item& it, core::item_status status) {
  std::string out = "{";
  str_field(out, "id", it.id);
  str_field(out, "owner", it.owner);
  str_field(out, "workspace", it.workspace);
  str_field(out, "status", core::to_string(status));
  key(out, "title");
  if (it.title) core::append_json_string(out, *it.title);
  else out += "null";
  out += ',';
  time_field(out, "created_at", it.created_at_ms);
  close_object(out);
  return out;
}

std::string render_status(const core::item& it, const core::pipeline& p, const core::item_state& s) {
  std::string out = "{";
  str_field(out, "id", it.id);
  str_field(out, "status", core::to_string(s.status));
  key(out, "stages");
  out += '{';
  std::size_t completed = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    key(out, p.stages()[i].name);
    out += '{';
    stage_fields(out, s.stages[i]);
    close_object(out);
    out += ',';
    completed += s.stages[i].status == core::stage_status::completed;
  }
  close_object(out);
  out += ',';
  fmt::format_to(std::back_inserter(out), "\"progress\":{{\"completed\":{},\"total\":{}}},", completed, p.size());
  errors(out, p, s);
  timing(out, s);
  close_object(out);
  return out;
}

std::string render_history(const core::item& it, const std::vector<core::history_entry>& entries) {
  std::string out = "{";
  str_field(out, "item_id", it.id);
  key(out, "entries");
  out += '[';
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (i) out += ',';
    out += '{';
    fmt::format_to(std::back_inserter(out), "\"seq\":{},", i);
    time_field(out, "at", e.at_ms);
    key(out, "scope");
    out += e.stage.empty() ? "\"item\"," : "\"stage\",";
    if (!e.stage.empty()) str_field(out, "stage", e.stage);
    key(out, "from");
    if (e.from.empty()) out += "null,";
    else {
      core::append_json_string(out, e.from);
      out += ',';
    }
    str_field(out, "to", e.to);
    if (!e.stage.empty()) fmt::format_to(std::back_inserter(out), "\"attempt\":{},", e.attempt);
    str_field(out, "cause", e.cause);
    close_object(out);
  }
  out += "]}";
  return out;
}

}  // namespace pw::net
