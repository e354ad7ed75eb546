#include "stages/builtin.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "stages/ai/analysis.hpp"
#include "stages/ai/classify.hpp"
#include "stages/ai/duplicate.hpp"
#include "stages/ai/embed.hpp"
#include "stages/ai/pair_scorer.hpp"
#include "stages/ai/priority.hpp"
#include "stages/ai/reading.hpp"
#include "stages/ai/sentiment.hpp"
#include "stages/ai/theme.hpp"
#include "stages/ai/urgency.hpp"
#include "stages/ai/vector_codec.hpp"
#include "stages/builtin_models.hpp"
#include "stages/synthetic.hpp"

namespace pw::stages::builtin {

namespace {

namespace ai = pw::stages::ai;
using synthetic::round4;

// "<prefix><workspace>/<item or theme id>" (ids never contain '/').
std::string state_key(std::string_view prefix, std::string_view ws, std::string_view id) {
  std::string k(prefix);
  k += ws;
  k.push_back('/');
  k += id;
  return k;
}

bool split_key(std::string_view key, std::string_view prefix, std::string_view& ws, std::string_view& id) {
  if (key.substr(0, prefix.size()) != prefix) return false;
  key.remove_prefix(prefix.size());
  auto slash = key.rfind('/');
  if (slash == std::string_view::npos) return false;
  ws = key.substr(0, slash);
  id = key.substr(slash + 1);
  return !id.empty();
}

const boost::json::object& need(const stage_input& in, std::string_view stage) {
  if (auto* r = in.upstream.find(stage)) return *r;
  throw std::invalid_argument("the builtin stage needs the result of '" + std::string(stage) + "'");
}

// The embedding an upstream stage produced: ours (base64) or a JSON array.
std::vector<float> upstream_vector(const stage_input& in) {
  const boost::json::object* r = in.upstream.find("embed");
  if (!r)
    for (const auto& [name, obj] : in.upstream.entries())
      if (obj && obj->contains("vector")) r = obj.get();
  if (!r || !r->contains("vector")) throw std::invalid_argument("the builtin stage needs an upstream 'embed' vector");
  const auto& v = r->at("vector");
  if (v.is_string()) {
    auto d = ai::decode_vector(std::string_view(v.as_string()));
    if (!d) throw std::invalid_argument("the upstream 'embed' vector is not f32le-base64");
    return *d;
  }
  if (v.is_array()) {
    std::vector<float> out;
    for (const auto& x : v.as_array()) out.push_back(static_cast<float>(x.to_number<double>()));
    ai::normalize(out);
    return out;
  }
  throw std::invalid_argument("the upstream 'embed' vector is neither base64 nor an array");
}

stage_outcome guarded(const std::function<stage_outcome()>& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    return permanent_error(e.what());  // wiring or input: retrying will not help
  } catch (const std::exception& e) {
    return transient_error(e.what());
  }
}

class embed_stage final : public stage_backend {
 public:
  embed_stage(std::size_t dim, const ai::model_file& m) : models_(m), emb_(dim) {}
  void restore(const state_reader& r) override {
    r.scan("df/", [&](std::string_view k, std::string_view v) {
      std::string_view ws, id;
      if (split_key(k, "df/", ws, id)) emb_.restore(ws, id, v);
    });
  }
  void forget_workspace(std::string_view ws) override { emb_.forget(ws); }
  std::vector<state_write> forget(const core::item& it) override {
    emb_.remove(*ai::reading::of(it.text, models_)->text, it.workspace, it.id);
    return {state_write{state_key("df/", it.workspace, it.id), std::nullopt}};
  }
  stage_outcome run(const stage_input& in) override {
    return guarded([&]() -> stage_outcome {
      auto reading = ai::reading::of(in.item.text, models_);
      const auto* a = reading->text.get();
      auto r = emb_.embed(*a, in.item.workspace, in.item.id, ai::theme_terms(models_, reading->probabilities));
      stage_success s;
      s.output["language"] = ai::to_string(a->language());
      s.output["dim"] = static_cast<std::int64_t>(emb_.dim());
      s.output["encoding"] = ai::vector_encoding;
      s.output["vector"] = ai::encode_vector(r.vector);
      s.output["tokens"] = static_cast<std::int64_t>(a->words());
      if (!r.state.empty()) s.state.push_back(state_write{state_key("df/", in.item.workspace, in.item.id), std::move(r.state)});
      return s;
    });
  }

 private:
  const ai::model_file& models_;
  ai::embedder emb_;
};

// sentiment, urgency, classify: the learned models' decisions (reading.hpp);
// the rules of src/stages/ai/ only when the model file lacks that model.
class text_stage final : public stage_backend {
 public:
  text_stage(std::string kind, const ai::model_file& m) : kind_(std::move(kind)), models_(m) {}
  stage_outcome run(const stage_input& in) override {
    return guarded([&]() -> stage_outcome {
      auto r = ai::reading::of(in.item.text, models_);
      const auto& a = *r->text;
      const auto& d = r->decided;
      boost::json::object out;
      if (kind_ == "sentiment") {
        if (!d.sentiment.empty()) {
          out["label"] = d.sentiment;
          out["score"] = round4(d.sentiment_score);
        } else {
          auto s = ai::sentiment(a);
          out["label"] = ai::to_string(s.label);
          out["score"] = round4(s.score);
        }
        out["language"] = ai::to_string(a.language());
      } else if (kind_ == "urgency") {
        auto u = ai::urgency(a);
        if (!d.urgency.empty()) {
          out["level"] = d.urgency;
          out["score"] = round4(d.urgency_score);
          // The rule's cue when the rules agree with the model, else "model".
          out["reason"] = ai::to_string(u.level) == d.urgency && !u.reason.empty() ? u.reason : std::string_view("model");
        } else {
          out["level"] = ai::to_string(u.level);
          out["score"] = round4(u.score);
          out["reason"] = u.reason;
        }
      } else if (!d.category.empty()) {
        out["label"] = d.category;
        out["confidence"] = round4(d.category_confidence);
      } else {
        auto c = ai::classify(a, ai::sentiment(a));
        out["label"] = ai::to_string(c.label);
        out["confidence"] = round4(c.confidence);
      }
      return success(std::move(out));
    });
  }

 private:
  std::string kind_;
  const ai::model_file& models_;
};

class duplicate_stage final : public stage_backend {
 public:
  duplicate_stage(ai::duplicate_options o, const ai::model_file& m) : models_(m), index_(o) {}
  void restore(const state_reader& r) override {
    r.scan("v/", [&](std::string_view k, std::string_view v) {
      std::string_view ws, id;
      if (split_key(k, "v/", ws, id)) index_.restore(ws, id, v);
    });
  }
  void forget_workspace(std::string_view ws) override { index_.forget(ws); }
  std::vector<state_write> forget(const core::item& it) override {
    index_.remove(it.workspace, it.id);
    return {state_write{state_key("v/", it.workspace, it.id), std::nullopt}};
  }
  stage_outcome run(const stage_input& in) override {
    return guarded([&]() -> stage_outcome {
      auto vec = upstream_vector(in);
      auto reading = ai::reading::of(in.item.text, models_);
      auto r = index_.add(in.item.workspace, in.item.id, vec, ai::make_profile(*reading->text, reading->probabilities));
      stage_success s;
      s.output["duplicate_of"] = r.duplicate_of ? boost::json::value(*r.duplicate_of) : boost::json::value(nullptr);
      s.output["similarity"] = round4(r.similarity);
      s.output["isDuplicate"] = r.duplicate_of.has_value();
      s.output["duplicates"] = static_cast<std::int64_t>(r.duplicates);
      s.output["group"] = r.group;
      s.state.push_back(state_write{state_key("v/", in.item.workspace, in.item.id), std::move(r.state)});
      return s;
    });
  }

 private:
  const ai::model_file& models_;
  ai::duplicate_index index_;
};

class theme_stage final : public stage_backend {
 public:
  theme_stage(ai::theme_options o, const ai::model_file& m) : models_(m), model_(o) {}
  void restore(const state_reader& r) override {
    r.scan("t/", [&](std::string_view k, std::string_view v) {
      std::string_view ws, id;
      if (split_key(k, "t/", ws, id)) model_.restore(ws, id, v);
    });
  }
  void forget_workspace(std::string_view ws) override { model_.forget(ws); }
  stage_outcome run(const stage_input& in) override {
    return guarded([&]() -> stage_outcome {
      auto vec = upstream_vector(in);
      auto reading = ai::reading::of(in.item.text, models_);
      auto r = model_.assign(*reading->text, in.item.workspace, vec, reading->decided.theme);
      stage_success s;
      s.output["theme_id"] = r.id;
      s.output["label"] = r.label;
      s.output["themes"] = boost::json::array{boost::json::value(r.label)};
      s.output["new"] = r.created;
      s.state.push_back(state_write{state_key("t/", in.item.workspace, r.id), std::move(r.state)});
      return s;
    });
  }

 private:
  const ai::model_file& models_;
  ai::theme_model model_;
};

class priority_stage final : public stage_backend {
 public:
  stage_outcome run(const stage_input& in) override {
    return guarded([&]() -> stage_outcome {
      const auto& u = need(in, "urgency");
      const auto& s = need(in, "sentiment");
      ai::priority_input p;
      auto str = [](const boost::json::object& o, std::string_view k) -> std::string_view {
        auto it = o.find(k);
        return it != o.end() && it->value().is_string() ? std::string_view(it->value().as_string()) : std::string_view();
      };
      auto num = [](const boost::json::object& o, std::string_view k) -> double {
        auto it = o.find(k);
        return it != o.end() && it->value().is_number() ? it->value().to_number<double>() : 0.0;
      };
      p.urgency = str(u, "level");
      p.urgency_score = num(u, "score");
      p.sentiment = str(s, "label");
      p.sentiment_score = num(s, "score");
      if (auto* c = in.upstream.find("classify")) p.category = str(*c, "label");
      if (auto* d = in.upstream.find("duplicate")) p.duplicates = static_cast<std::size_t>(std::max(0.0, num(*d, "duplicates")));
      auto r = ai::priority(p);
      boost::json::object out;
      out["score"] = static_cast<std::int64_t>(r.score);
      out["bucket"] = r.bucket;
      return success(std::move(out));
    });
  }
};

// Reads a numeric option in [lo, hi], or says which key is wrong.
template <class T>
std::optional<core::error> number(const core::stage_spec& spec, const std::string& key, std::string_view name, double lo,
                                  double hi, T& out) {
  auto it = spec.options.find(std::string(name));
  if (it == spec.options.end()) return std::nullopt;
  double v;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) v = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&it->second)) v = *d;
  else
    return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.{}: expected a number", key, name));
  if (std::is_integral_v<T> && v != static_cast<double>(static_cast<std::int64_t>(v)))
    return core::make_error(core::errc::validation_failed, fmt::format("config: {}.options.{}: expected an integer", key, name));
  if (!(v >= lo && v <= hi))
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}.options.{}: {} is out of range [{}, {}]", key, name, v, lo, hi));
  out = static_cast<T>(v);
  return std::nullopt;
}

}  // namespace

core::result<std::shared_ptr<stage_backend>> make(std::string_view kind, const core::stage_spec& spec,
                                                  const std::string& key, const ai::model_file* models_in) {
  std::vector<std::string_view> allowed{"kind"};
  if (kind == "embed") allowed.push_back("dim");
  if (kind == "duplicate") allowed.insert(allowed.end(), {"threshold", "candidates", "ef", "m"});
  if (kind == "theme") allowed.insert(allowed.end(), {"threshold", "split_threshold"});
  for (const auto& [name, value] : spec.options)
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.{}: unknown option for the builtin '{}' stage", key, name, kind));
  // Lexicons and models are parsed on first use; a broken one must fail at
  // start, not per item.
  try {
    (void)ai::lexicons::builtin();
    if (!models_in) models_in = &models();
  } catch (const std::exception& e) {
    return core::make_error(core::errc::validation_failed, fmt::format("config: {}: {}", key, e.what()));
  }
  if (kind == "embed") {
    std::size_t dim = 256;
    if (auto e = number(spec, key, "dim", 16, 4096, dim)) return *e;
    return std::shared_ptr<stage_backend>(std::make_shared<embed_stage>(dim, *models_in));
  }
  if (kind == "sentiment" || kind == "urgency" || kind == "classify")
    return std::shared_ptr<stage_backend>(std::make_shared<text_stage>(std::string(kind), *models_in));
  if (kind == "duplicate") {
    ai::duplicate_options o;
    o.scorer = ai::pair_scorer::from(*models_in);
    if (auto e = number(spec, key, "threshold", 0.0, 1.0, o.threshold)) return *e;
    if (auto e = number(spec, key, "candidates", 1, 100, o.candidates)) return *e;
    if (auto e = number(spec, key, "ef", 8, 2000, o.ef)) return *e;
    if (auto e = number(spec, key, "m", 4, 64, o.m)) return *e;
    return std::shared_ptr<stage_backend>(std::make_shared<duplicate_stage>(o, *models_in));
  }
  if (kind == "theme") {
    ai::theme_options o;
    if (auto e = number(spec, key, "threshold", 0.0, 1.0, o.threshold)) return *e;
    if (auto e = number(spec, key, "split_threshold", 0.0, 1.0, o.split_threshold)) return *e;
    return std::shared_ptr<stage_backend>(std::make_shared<theme_stage>(o, *models_in));
  }
  if (kind == "priority") return std::shared_ptr<stage_backend>(std::make_shared<priority_stage>());
  return core::make_error(core::errc::validation_failed,
                          fmt::format("config: {}: the builtin backend has no stage '{}' (known: embed, classify, "
                                      "sentiment, urgency, duplicate, theme, priority; set options.kind to pick one)",
                                      key, kind));
}

}  // namespace pw::stages::builtin
