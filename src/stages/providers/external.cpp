#include "stages/providers/external.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/usage.hpp"
#include "stages/providers/answers.hpp"

namespace pw::stages::providers {

namespace {

// Theme labels a workspace already has, newest last, so that a chat model
// reuses them; persisted as "seen/<workspace>/<theme id>" -> label.
class theme_memory {
 public:
  void restore(const state_reader& r) {
    r.scan("seen/", [&](std::string_view key, std::string_view label) {
      auto rest = key.substr(5);
      auto slash = rest.rfind('/');
      if (slash == std::string_view::npos) return;
      add(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)), std::string(label));
    });
  }
  std::vector<std::string> labels(const std::string& ws) const {
    std::lock_guard lock(mu_);
    auto it = by_ws_.find(ws);
    if (it == by_ws_.end()) return {};
    std::vector<std::string> out;
    for (const auto& [id, label] : it->second.recent) out.push_back(label);
    return out;
  }
  // True when the workspace had no theme of this id.
  bool add(const std::string& ws, const std::string& id, const std::string& label) {
    std::lock_guard lock(mu_);
    auto& w = by_ws_[ws];
    if (!w.ids.insert(id).second) return false;
    w.recent.emplace_back(id, label);
    if (w.recent.size() > 50) w.recent.pop_front();
    return true;
  }

 private:
  struct workspace {
    std::set<std::string> ids;
    std::deque<std::pair<std::string, std::string>> recent;
  };
  mutable std::mutex mu_;
  std::map<std::string, workspace> by_ws_;
};

struct settings {
  stage_kind kind = stage_kind::sentiment;
  std::string stage;     // the stage's name (usage is counted by it)
  std::string provider;
  request_options request;
  std::chrono::milliseconds timeout{0};
  provider_gate* gate = nullptr;
  hub* owner = nullptr;
  std::shared_ptr<theme_memory> themes;  // theme stages only
};

// The theme stage's "new" flag and the state write that remembers the theme.
void finish_theme(const settings& s, const std::string& ws, stage_success& ok) {
  if (!s.themes) return;
  auto id = ok.output.contains("theme_id") ? std::string(ok.output.at("theme_id").as_string()) : std::string();
  auto label = ok.output.contains("label") ? std::string(ok.output.at("label").as_string()) : std::string();
  const bool fresh = !id.empty() && s.themes->add(ws, id, label);
  ok.output["new"] = fresh;
  if (fresh) ok.state.push_back(state_write{"seen/" + ws + "/" + id, label});
}

request_options for_item(const settings& s, const core::item& it) {
  auto o = s.request;
  if (s.themes) o.known_themes = s.themes->labels(it.workspace);
  return o;
}

class http_stage final : public stage_backend {
 public:
  explicit http_stage(std::shared_ptr<const settings> s) : s_(std::move(s)) {}
  void restore(const state_reader& r) override {
    if (s_->themes) s_->themes->restore(r);
  }
  bool asynchronous() const noexcept override { return true; }
  stage_outcome run(const stage_input&) override { return transient_error("the http backend runs asynchronously"); }

  void start(const stage_input& in, completion done) override {
    auto req = build_request(s_->kind, for_item(*s_, in.item), in.item);
    http_call call;
    call.path = std::string(api_path(s_->kind));
    call.body = core::to_json(req.body);
    call.estimated_tokens = req.estimated_tokens;
    call.timeout = s_->timeout;
    call.what = fmt::format("{} item={} attempt={}", s_->stage, in.item.id, in.attempt);
    s_->gate->submit(std::move(call), [s = s_, ws = in.item.workspace, est = req.estimated_tokens,
                                       done = std::move(done)](http_outcome o) {
      if (o.v == verdict::permanent) return done(permanent_error(s->provider + ": " + o.message));
      if (o.v == verdict::transient) return done(transient_error(s->provider + ": " + o.message));
      auto parsed = parse_answer(s->kind, o.body, s->request.model);
      if (auto* bad = std::get_if<bad_answer>(&parsed)) {
        s->gate->settle_tokens(est, est);
        return done(transient_error(s->provider + ": " + bad->message));
      }
      auto& a = std::get<answer>(parsed);
      s->gate->settle_tokens(est, a.usage.total());
      stage_success ok;
      ok.output = std::move(a.output);
      ok.counters = core::usage_counters(core::utc_day(core::now_ms()), s->stage, s->request.model, "http",
                                         a.usage.prompt, a.usage.completion);
      finish_theme(*s, ws, ok);
      done(std::move(ok));
    });
  }

 private:
  std::shared_ptr<const settings> s_;
};

class batch_stage final : public stage_backend {
 public:
  explicit batch_stage(std::shared_ptr<const settings> s) : s_(std::move(s)) {}
  void restore(const state_reader& r) override {
    if (s_->themes) s_->themes->restore(r);
  }
  bool asynchronous() const noexcept override { return true; }
  stage_outcome run(const stage_input&) override { return transient_error("the batch backend runs asynchronously"); }

  void start(const stage_input& in, completion done) override {
    auto* registry = s_->owner->registry();
    if (!registry) return done(transient_error("the batch registry is not running"));
    batch_request r;
    r.item_id = in.item.id;
    r.owner = in.item.owner;
    r.workspace = in.item.workspace;
    r.pipeline = in.item.pipeline;
    r.stage = s_->stage;
    r.attempt = in.attempt;
    r.provider = s_->provider;
    r.model = s_->request.model;
    r.kind = std::string(to_string(s_->kind));
    r.endpoint = std::string(batch_endpoint(s_->kind));
    r.body_json = core::to_json(build_request(s_->kind, for_item(*s_, in.item), in.item).body);
    registry->submit(std::move(r), [s = s_, ws = in.item.workspace, done = std::move(done)](stage_outcome o) {
      if (auto* ok = std::get_if<stage_success>(&o)) finish_theme(*s, ws, *ok);
      done(std::move(o));
    });
  }

 private:
  std::shared_ptr<const settings> s_;
};

// Reads a numeric option in [lo, hi], or says which key is wrong.
std::optional<core::error> number_option(const core::stage_spec& spec, const std::string& key, const char* name,
                                         double lo, double hi, bool integral, std::optional<double>& out) {
  auto it = spec.options.find(name);
  if (it == spec.options.end()) return std::nullopt;
  double v;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) v = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&it->second)) v = *d;
  else return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.{}: expected a number", key, name));
  if (integral && v != static_cast<double>(static_cast<std::int64_t>(v)))
    return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.{}: expected an integer", key, name));
  if (!(v >= lo && v <= hi))
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}.options.{}: {} is out of range [{}, {}]", key, name, v, lo, hi));
  out = v;
  return std::nullopt;
}

}  // namespace

core::result<std::shared_ptr<stage_backend>> make_external(std::string_view kind_name, const core::stage_spec& spec,
                                                           const std::string& key, hub& h, bool batch) {
  auto kind = parse_stage_kind(kind_name);
  if (!kind)
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}: the {} backend runs embed, classify, sentiment, urgency or theme, "
                                        "not '{}' (set options.kind to pick one)",
                                        key, spec.backend, kind_name));
  static const std::vector<std::string_view> allowed = {"kind", "prompt_file", "max_completion_tokens", "temperature",
                                                        "dimensions"};
  for (const auto& [name, value] : spec.options)
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.{}: unknown option for backend '{}'", key, name, spec.backend));
  auto s = std::make_shared<settings>();
  s->kind = *kind;
  s->stage = spec.name;
  s->provider = spec.provider.empty() ? "openai" : spec.provider;
  s->gate = h.gate(s->provider);
  s->owner = &h;
  if (!s->gate)
    return core::make_error(core::errc::validation_failed, fmt::format("config: {}.provider: no provider '{}'", key, s->provider));
  s->request.model = spec.model.empty() ? std::string(default_model(*kind)) : spec.model;
  s->timeout = spec.timeout;
  std::string prompt_file;
  if (auto it = spec.options.find("prompt_file"); it != spec.options.end()) {
    auto* f = std::get_if<std::string>(&it->second);
    if (!f || f->empty() || !is_chat(*kind))
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.prompt_file: a file path, for chat stages only", key));
    prompt_file = *f;
  }
  if (is_chat(*kind)) {
    auto p = h.prompt(to_string(*kind), prompt_file, key);
    if (!p) return std::move(p).err();
    s->request.system_prompt = std::move(p).value();
  }
  std::optional<double> v;
  if (auto e = number_option(spec, key, "max_completion_tokens", 1, 100000, true, v)) return *e;
  if (v) s->request.max_completion_tokens = static_cast<std::int64_t>(*v);
  v.reset();
  if (auto e = number_option(spec, key, "temperature", 0, 2, false, v)) return *e;
  s->request.temperature = v;
  v.reset();
  if (auto e = number_option(spec, key, "dimensions", 1, 16384, true, v)) return *e;
  if (v) {
    if (is_chat(*kind))
      return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.dimensions: embed only", key));
    s->request.dimensions = static_cast<std::int64_t>(*v);
  }
  if (*kind == stage_kind::theme) s->themes = std::make_shared<theme_memory>();
  if (batch) return std::shared_ptr<stage_backend>(std::make_shared<batch_stage>(std::move(s)));
  return std::shared_ptr<stage_backend>(std::make_shared<http_stage>(std::move(s)));
}

}  // namespace pw::stages::providers
