// What an external stage asks an OpenAI-compatible provider and how its
// answer becomes the stage's result (plain C++, no I/O). Chat stages use
// /chat/completions with a JSON schema (structured outputs); embed uses
// /embeddings. Every answer is validated against the stage's output shape,
// the same shape the builtin backend gives (stages/builtin.hpp), so
// downstream stages (duplicate, theme, priority) read either:
//   embed      {"dim","encoding":"f32le-base64","vector","tokens","model","usage"}
//   sentiment  {"label": positive|neutral|negative, "score": [-1,1], "model","usage"}
//   urgency    {"level": low|medium|high|critical, "score": [0,1], "reason", "model","usage"}
//   classify   {"label": bug|feature_request|question|praise|complaint|billing, "confidence": [0,1], "model","usage"}
//   theme      {"theme_id","label","themes":[label],"model","usage"} (+ "new" from the backend)
// An answer that breaks the shape is a transient error (the attempt is retried).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "core/item.hpp"

namespace pw::stages::providers {

enum class stage_kind : std::uint8_t { embed, classify, sentiment, urgency, theme };

std::optional<stage_kind> parse_stage_kind(std::string_view s) noexcept;
std::string_view to_string(stage_kind k) noexcept;
bool is_chat(stage_kind k) noexcept;
// The API path under the base URL ("/chat/completions", "/embeddings").
std::string_view api_path(stage_kind k) noexcept;
// The Batch API's endpoint value ("/v1/chat/completions", "/v1/embeddings").
std::string_view batch_endpoint(stage_kind k) noexcept;
std::string_view default_model(stage_kind k) noexcept;

struct token_usage {
  std::int64_t prompt = 0;
  std::int64_t completion = 0;
  std::int64_t total() const noexcept { return prompt + completion; }
};

struct request_options {
  std::string model;
  std::string system_prompt;                 // chat stages
  std::int64_t max_completion_tokens = 300;  // chat stages
  std::optional<double> temperature;         // omitted unless set
  std::optional<std::int64_t> dimensions;    // embed: ask for fewer dimensions
  std::vector<std::string> known_themes;     // theme: labels to reuse when one fits
};

struct request_body {
  boost::json::object body;
  std::int64_t estimated_tokens = 0;  // for the gate's token bucket, before the answer says
};

request_body build_request(stage_kind k, const request_options& o, const core::item& it);

struct answer {
  boost::json::object output;
  token_usage usage;
};

// An answer that cannot be used, and why (for a person; never the key).
struct bad_answer {
  std::string message;
};

// `body` is the HTTP response body of a 200 answer.
std::variant<answer, bad_answer> parse_answer(stage_kind k, std::string_view body, const std::string& model);

// A theme label as an id: lower-case ASCII letters and digits joined by '-',
// at most 48 characters ("Login failures" -> "login-failures").
std::string theme_slug(std::string_view label);

}  // namespace pw::stages::providers
