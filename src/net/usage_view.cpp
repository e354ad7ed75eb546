#include "net/usage_view.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/json.hpp"
#include "core/usage.hpp"

namespace pw::net {

namespace {

struct tally {
  std::int64_t prompt = 0, completion = 0, requests = 0;
  void add(const std::string& part, std::int64_t v) {
    if (part == "prompt") prompt += v;
    else if (part == "completion") completion += v;
    else requests += v;
  }
  std::string json() const {
    return fmt::format("\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{},\"requests\":{}", prompt,
                       completion, prompt + completion, requests);
  }
};

template <class Map>
void append_map(std::string& out, const Map& m) {
  out += '{';
  bool first = true;
  for (const auto& [name, t] : m) {
    if (!first) out += ',';
    first = false;
    core::append_json_string(out, name);
    out += ":{";
    out += t.json();
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string render_usage(const std::vector<const store::counter_pack*>& packs, std::int32_t today, std::string_view mode) {
  const auto first_day = core::day_before(today, core::usage_window_days - 1);
  tally all;
  std::map<std::string, tally> by_stage, by_model, by_mode;
  std::map<std::pair<std::string, std::string>, tally> by_both;
  for (const auto* counters : packs)
    for (const auto& [field, value] : counters->all()) {
      auto f = core::parse_usage_field(field);
      if (!f || f->day < first_day || f->day > today || (!mode.empty() && f->mode != mode)) continue;
      all.add(f->part, value);
      by_stage[f->stage].add(f->part, value);
      by_model[f->model].add(f->part, value);
      by_mode[f->mode].add(f->part, value);
      by_both[{f->stage, f->model}].add(f->part, value);
    }
  std::string out = "{";
  out += all.json();
  out += ",\"by_stage\":";
  append_map(out, by_stage);
  out += ",\"by_model\":";
  append_map(out, by_model);
  out += ",\"by_mode\":";
  append_map(out, by_mode);
  out += ",\"by_stage_and_model\":[";
  bool first = true;
  for (const auto& [key, t] : by_both) {
    if (!first) out += ',';
    first = false;
    out += "{\"stage\":";
    core::append_json_string(out, key.first);
    out += ",\"model\":";
    core::append_json_string(out, key.second);
    out += ',';
    out += t.json();
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace pw::net
