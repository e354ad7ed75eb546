#include "stages/providers/answers.hpp"

#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "stages/ai/vector_codec.hpp"

namespace pw::stages::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view sentiments[] = {"positive", "neutral", "negative"};
constexpr std::string_view levels[] = {"low", "medium", "high", "critical"};
constexpr std::string_view categories[] = {"bug", "feature_request", "question", "praise", "complaint", "billing"};
constexpr std::size_t max_dimensions = 16384;

template <std::size_t N>
json::array enum_values(const std::string_view (&values)[N]) {
  json::array a;
  for (auto v : values) a.emplace_back(v);
  return a;
}

json::object string_enum(json::array values, std::string_view description) {
  return json::object{{"type", "string"}, {"enum", std::move(values)}, {"description", description}};
}

json::object number(std::string_view description) {
  return json::object{{"type", "number"}, {"description", description}};
}

// Strict structured output: every property required, nothing else allowed.
json::object schema_for(stage_kind k) {
  json::object props;
  switch (k) {
    case stage_kind::sentiment:
      props["label"] = string_enum(enum_values(sentiments), "the writer's overall feeling");
      props["score"] = number("from -1 (very negative) to 1 (very positive)");
      break;
    case stage_kind::urgency:
      props["level"] = string_enum(enum_values(levels), "how soon someone must act");
      props["score"] = number("from 0 (can wait) to 1 (act now)");
      props["reason"] = json::object{{"type", "string"}, {"description", "one short sentence"}};
      break;
    case stage_kind::classify:
      props["label"] = string_enum(enum_values(categories), "what kind of feedback this is");
      props["confidence"] = number("from 0 to 1");
      break;
    case stage_kind::theme:
      props["label"] = json::object{{"type", "string"}, {"description", "the theme in 2 to 5 words"}};
      break;
    case stage_kind::embed: break;
  }
  json::array required;
  for (auto& [key, v] : props) required.emplace_back(key);
  return json::object{{"type", "object"},
                      {"properties", std::move(props)},
                      {"required", std::move(required)},
                      {"additionalProperties", false}};
}

std::string user_message(const core::item& it) {
  std::string out;
  if (it.title && !it.title->empty()) out = "Title: " + *it.title + "\n\n";
  out += it.text;
  return out;
}

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::optional<double> finite_number(const json::value* v) {
  if (!v || !v->is_number()) return std::nullopt;
  double d = v->to_number<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

template <std::size_t N>
std::optional<std::string> one_of(const json::value* v, const std::string_view (&values)[N]) {
  if (!v || !v->is_string()) return std::nullopt;
  std::string_view s(v->as_string());
  for (auto x : values)
    if (x == s) return std::string(s);
  return std::nullopt;
}

template <std::size_t N>
std::string list(const std::string_view (&values)[N]) {
  std::string out;
  for (auto v : values) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

token_usage usage_of(const json::object& body) {
  token_usage u;
  auto* v = member(body, "usage");
  if (!v || !v->is_object()) return u;
  auto count = [&](std::string_view key) -> std::int64_t {
    auto* n = member(v->as_object(), key);
    if (!n || !n->is_number()) return 0;
    auto d = n->to_number<double>();
    return std::isfinite(d) && d > 0 && d < 1e15 ? static_cast<std::int64_t>(d) : 0;
  };
  u.prompt = count("prompt_tokens");
  u.completion = count("completion_tokens");
  return u;
}

json::object usage_json(const token_usage& u) {
  return json::object{{"prompt_tokens", u.prompt}, {"completion_tokens", u.completion}, {"total_tokens", u.total()}};
}

std::variant<json::object, bad_answer> parse_object(std::string_view text, std::string_view what) {
  json::parse_options po;
  po.max_depth = 64;
  boost::system::error_code ec;
  auto v = json::parse(text, ec, {}, po);
  if (ec) return bad_answer{fmt::format("{} is not JSON: {}", what, ec.message())};
  if (!v.is_object()) return bad_answer{fmt::format("{} is not a JSON object", what)};
  return std::move(v.as_object());
}

std::variant<json::object, bad_answer> validate(stage_kind k, const json::object& a) {
  json::object out;
  auto bad = [](std::string m) { return bad_answer{"invalid answer: " + std::move(m)}; };
  switch (k) {
    case stage_kind::sentiment: {
      auto label = one_of(member(a, "label"), sentiments);
      if (!label) return bad("'label' must be one of " + list(sentiments));
      auto score = finite_number(member(a, "score"));
      if (!score || *score < -1 || *score > 1) return bad("'score' must be a number from -1 to 1");
      out["label"] = *label;
      out["score"] = *score;
      break;
    }
    case stage_kind::urgency: {
      auto level = one_of(member(a, "level"), levels);
      if (!level) return bad("'level' must be one of " + list(levels));
      auto score = finite_number(member(a, "score"));
      if (!score || *score < 0 || *score > 1) return bad("'score' must be a number from 0 to 1");
      auto* reason = member(a, "reason");
      if (!reason || !reason->is_string() || reason->as_string().size() > 1000)
        return bad("'reason' must be a string of at most 1000 bytes");
      out["level"] = *level;
      out["score"] = *score;
      out["reason"] = reason->as_string();
      break;
    }
    case stage_kind::classify: {
      auto label = one_of(member(a, "label"), categories);
      if (!label) return bad("'label' must be one of " + list(categories));
      auto confidence = finite_number(member(a, "confidence"));
      if (!confidence || *confidence < 0 || *confidence > 1) return bad("'confidence' must be a number from 0 to 1");
      out["label"] = *label;
      out["confidence"] = *confidence;
      break;
    }
    case stage_kind::theme: {
      auto* label = member(a, "label");
      if (!label || !label->is_string()) return bad("'label' must be a string");
      std::string text(label->as_string());
      while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
      while (!text.empty() && text.front() == ' ') text.erase(text.begin());
      if (text.empty() || text.size() > 120) return bad("'label' must hold 1 to 120 bytes");
      auto id = theme_slug(text);
      out["theme_id"] = id;
      out["label"] = text;
      out["themes"] = json::array{json::value(text)};
      break;
    }
    case stage_kind::embed: break;
  }
  return out;
}

std::variant<answer, bad_answer> parse_chat(stage_kind k, const json::object& body, const std::string& model) {
  auto* choices = member(body, "choices");
  if (!choices || !choices->is_array() || choices->as_array().empty() || !choices->as_array()[0].is_object())
    return bad_answer{"invalid answer: no choices"};
  const auto& choice = choices->as_array()[0].as_object();
  auto* message = member(choice, "message");
  if (!message || !message->is_object()) return bad_answer{"invalid answer: the choice has no message"};
  const auto& msg = message->as_object();
  if (auto* refusal = member(msg, "refusal"); refusal && refusal->is_string() && !refusal->as_string().empty())
    return bad_answer{"invalid answer: the model refused: " + std::string(refusal->as_string()).substr(0, 300)};
  if (auto* finish = member(choice, "finish_reason"); finish && finish->is_string() && finish->as_string() == "length")
    return bad_answer{"invalid answer: cut off at max_completion_tokens"};
  auto* content = member(msg, "content");
  if (!content || !content->is_string()) return bad_answer{"invalid answer: the message has no content"};
  auto parsed = parse_object(std::string_view(content->as_string()), "the answer's content");
  if (auto* b = std::get_if<bad_answer>(&parsed)) return bad_answer{"invalid answer: " + b->message};
  auto checked = validate(k, std::get<json::object>(parsed));
  if (auto* b = std::get_if<bad_answer>(&checked)) return *b;
  answer a;
  a.output = std::move(std::get<json::object>(checked));
  a.usage = usage_of(body);
  a.output["model"] = model;
  a.output["usage"] = usage_json(a.usage);
  return a;
}

std::variant<answer, bad_answer> parse_embedding(const json::object& body, const std::string& model) {
  auto* data = member(body, "data");
  if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_object())
    return bad_answer{"invalid answer: no data"};
  auto* emb = member(data->as_array()[0].as_object(), "embedding");
  if (!emb || !emb->is_array()) return bad_answer{"invalid answer: the embedding is not an array of numbers"};
  const auto& arr = emb->as_array();
  if (arr.empty() || arr.size() > max_dimensions)
    return bad_answer{fmt::format("invalid answer: the embedding has {} dimensions (1 to {})", arr.size(), max_dimensions)};
  std::vector<float> v;
  v.reserve(arr.size());
  double norm = 0;
  for (const auto& x : arr) {
    auto d = finite_number(&x);
    if (!d || std::fabs(*d) > 1e6) return bad_answer{"invalid answer: the embedding holds something other than finite numbers"};
    v.push_back(static_cast<float>(*d));
    norm += *d * *d;
  }
  if (norm <= 0) return bad_answer{"invalid answer: the embedding is all zeros"};
  ai::normalize(v);
  answer a;
  a.usage = usage_of(body);
  a.output["dim"] = static_cast<std::int64_t>(v.size());
  a.output["encoding"] = ai::vector_encoding;
  a.output["vector"] = ai::encode_vector(v);
  a.output["tokens"] = a.usage.prompt;
  a.output["model"] = model;
  a.output["usage"] = usage_json(a.usage);
  return a;
}

}  // namespace

std::optional<stage_kind> parse_stage_kind(std::string_view s) noexcept {
  for (auto k : {stage_kind::embed, stage_kind::classify, stage_kind::sentiment, stage_kind::urgency, stage_kind::theme})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string_view to_string(stage_kind k) noexcept {
  switch (k) {
    case stage_kind::embed: return "embed";
    case stage_kind::classify: return "classify";
    case stage_kind::sentiment: return "sentiment";
    case stage_kind::urgency: return "urgency";
    case stage_kind::theme: return "theme";
  }
  return "embed";
}

bool is_chat(stage_kind k) noexcept { return k != stage_kind::embed; }
std::string_view api_path(stage_kind k) noexcept { return is_chat(k) ? "/chat/completions" : "/embeddings"; }
std::string_view batch_endpoint(stage_kind k) noexcept {
  return is_chat(k) ? "/v1/chat/completions" : "/v1/embeddings";
}
std::string_view default_model(stage_kind k) noexcept {
  return is_chat(k) ? "gpt-4o-mini" : "text-embedding-3-small";
}

request_body build_request(stage_kind k, const request_options& o, const core::item& it) {
  request_body r;
  const auto text = user_message(it);
  r.body["model"] = o.model;
  if (!is_chat(k)) {
    r.body["input"] = text;
    r.body["encoding_format"] = "float";
    if (o.dimensions) r.body["dimensions"] = *o.dimensions;
    r.estimated_tokens = static_cast<std::int64_t>(text.size() / 4 + 1);
    return r;
  }
  std::string system = o.system_prompt;
  if (k == stage_kind::theme && !o.known_themes.empty()) {
    system += "\n\nThemes already in use in this workspace (reuse one, spelled exactly, when it fits):";
    for (const auto& t : o.known_themes) system += "\n- " + t;
  }
  r.body["messages"] = json::array{json::object{{"role", "system"}, {"content", system}},
                                   json::object{{"role", "user"}, {"content", text}}};
  r.body["response_format"] = json::object{
      {"type", "json_schema"},
      {"json_schema", json::object{{"name", to_string(k)}, {"strict", true}, {"schema", schema_for(k)}}}};
  r.body["max_completion_tokens"] = o.max_completion_tokens;
  if (o.temperature) r.body["temperature"] = *o.temperature;
  r.estimated_tokens = static_cast<std::int64_t>((system.size() + text.size()) / 4 + 1) + o.max_completion_tokens;
  return r;
}

std::variant<answer, bad_answer> parse_answer(stage_kind k, std::string_view body, const std::string& model) {
  auto parsed = parse_object(body, "the response");
  if (auto* b = std::get_if<bad_answer>(&parsed)) return bad_answer{"invalid answer: " + b->message};
  const auto& o = std::get<json::object>(parsed);
  return is_chat(k) ? parse_chat(k, o, model) : parse_embedding(o, model);
}

std::string theme_slug(std::string_view label) {
  std::string out;
  bool dash = false;
  for (unsigned char c : label) {
    if (std::isalnum(c) && c < 0x80) {
      // At most 48 characters, the dash before a word included (a label of
      // 47 characters then a new word made 49: provider_answers fuzz target).
      const bool sep = dash && !out.empty();
      if (out.size() + (sep ? 2 : 1) > 48) break;
      if (sep) out += '-';
      dash = false;
      out += static_cast<char>(std::tolower(c));
    } else {
      dash = true;
    }
  }
  if (out.empty()) {
    std::uint32_t h = 0x811c9dc5u;
    for (unsigned char c : label) h = (h ^ c) * 0x01000193u;
    out = fmt::format("theme-{:08x}", h);
  }
  return out;
}

}  // namespace pw::stages::providers
