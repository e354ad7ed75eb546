#include "answers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <vector>

#include <openssl/evp.h>

namespace fake_openai {

namespace json = boost::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has(const std::string& text, std::initializer_list<const char*> words) {
  for (auto w : words)
    if (text.find(w) != std::string::npos) return true;
  return false;
}

std::string schema_name(const json::object& req) {
  auto* rf = req.if_contains("response_format");
  if (!rf || !rf->is_object()) return {};
  auto* js = rf->as_object().if_contains("json_schema");
  if (!js || !js->is_object()) return {};
  auto* name = js->as_object().if_contains("name");
  return name && name->is_string() ? std::string(name->as_string()) : std::string();
}

std::uint32_t fnv(const std::string& s) {
  std::uint32_t h = 0x811c9dc5u;
  for (unsigned char c : s) h = (h ^ c) * 0x01000193u;
  return h;
}

json::object structured(const std::string& kind, const std::string& t) {
  if (kind == "sentiment") {
    if (has(t, {"crash", "broken", "hate", "terrible", "awful", "angry", "refund", "worst", "fail", "slow", "error"}))
      return {{"label", "negative"}, {"score", -0.7}};
    if (has(t, {"love", "great", "thanks", "awesome", "excellent", "amazing"})) return {{"label", "positive"}, {"score", 0.8}};
    return {{"label", "neutral"}, {"score", 0.0}};
  }
  if (kind == "urgency") {
    if (has(t, {"urgent", "asap", "outage", "immediately", "critical", "down"}))
      return {{"level", "critical"}, {"score", 0.95}, {"reason", "The writer cannot work and asks for help now."}};
    if (has(t, {"crash", "error", "broken", "fail"}))
      return {{"level", "high"}, {"score", 0.7}, {"reason", "Something the writer relies on is broken."}};
    return {{"level", "low"}, {"score", 0.2}, {"reason", "Nothing here needs action soon."}};
  }
  if (kind == "classify") {
    const char* label = "complaint";
    if (has(t, {"invoice", "charge", "refund", "billing", "payment"})) label = "billing";
    else if (has(t, {"crash", "error", "bug", "broken", "fail"})) label = "bug";
    else if (has(t, {"please add", "would be nice", "feature", "wish"})) label = "feature_request";
    else if (has(t, {"how do", "how to", "?"})) label = "question";
    else if (has(t, {"love", "great", "awesome"})) label = "praise";
    return {{"label", label}, {"confidence", 0.9}};
  }
  if (kind == "theme") {
    const char* label = nullptr;
    if (has(t, {"login", "password", "sign in"})) label = "Login problems";
    else if (has(t, {"invoice", "charge", "refund", "billing"})) label = "Billing questions";
    else if (has(t, {"crash", "error", "bug"})) label = "App crashes";
    else if (has(t, {"slow", "loading", "performance"})) label = "Slow performance";
    return {{"label", label ? label : "General feedback"}};
  }
  return {{"answer", "ok"}};
}

}  // namespace

std::string input_text(const json::object& req) {
  if (auto* input = req.if_contains("input")) {
    if (input->is_string()) return std::string(input->as_string());
    if (input->is_array() && !input->as_array().empty() && input->as_array()[0].is_string())
      return std::string(input->as_array()[0].as_string());
  }
  std::string text;
  if (auto* msgs = req.if_contains("messages"); msgs && msgs->is_array())
    for (const auto& m : msgs->as_array()) {
      if (!m.is_object()) continue;
      auto* role = m.as_object().if_contains("role");
      auto* content = m.as_object().if_contains("content");
      if (role && role->is_string() && role->as_string() == "user" && content && content->is_string())
        text += std::string(content->as_string());
    }
  return text;
}

json::object chat_answer(const json::object& req, bool invalid) {
  const auto kind = schema_name(req);
  const auto text = input_text(req);
  json::object content = structured(kind, lower(text));
  if (invalid) content = {{"label", 42}, {"score", 7}};  // breaks every schema
  std::string model = "gpt-4o-mini";
  if (auto* m = req.if_contains("model"); m && m->is_string()) model = std::string(m->as_string());
  std::size_t prompt_chars = 0;
  if (auto* msgs = req.if_contains("messages"); msgs && msgs->is_array())
    for (const auto& m : msgs->as_array())
      if (m.is_object())
        if (auto* c = m.as_object().if_contains("content"); c && c->is_string()) prompt_chars += c->as_string().size();
  const std::int64_t prompt = static_cast<std::int64_t>(prompt_chars / 4 + 1), completion = 12;
  json::object message{{"role", "assistant"}, {"content", json::serialize(content)}, {"refusal", nullptr}};
  return json::object{
      {"id", "chatcmpl-" + std::to_string(fnv(text))},
      {"object", "chat.completion"},
      {"created", 1765000000},
      {"model", model},
      {"choices", json::array{json::object{{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", "stop"}}}},
      {"usage", json::object{{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}}},
      {"system_fingerprint", "fp_fake"}};
}

json::object embedding_answer(const json::object& req) {
  const auto text = lower(input_text(req));
  std::size_t dim = 64;
  if (auto* d = req.if_contains("dimensions"); d && d->is_int64() && d->as_int64() > 0 && d->as_int64() <= 4096)
    dim = static_cast<std::size_t>(d->as_int64());
  // A hashed bag of words: texts that share words point the same way.
  std::vector<double> v(dim, 0.0);
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2) {
      auto h = fnv(word);
      v[h % dim] += (h & 0x80000000u) ? -1.0 : 1.0;
    }
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) word += c;
    else flush();
  }
  flush();
  double norm = 0;
  for (double x : v) norm += x * x;
  if (norm == 0) v[0] = norm = 1;
  json::value embedding;
  if (auto* f = req.if_contains("encoding_format"); f && f->is_string() && f->as_string() == "base64") {
    // As the real API: little-endian float32s, base64 (the official SDKs ask
    // for this unless told otherwise).
    std::string raw(dim * 4, '\0');
    for (std::size_t i = 0; i < dim; ++i) {
      const float x = static_cast<float>(v[i] / std::sqrt(norm));
      std::memcpy(raw.data() + i * 4, &x, 4);
    }
    std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    b64.resize(static_cast<std::size_t>(n));
    embedding = json::string(b64);
  } else {
    json::array arr;
    for (double x : v) arr.emplace_back(x / std::sqrt(norm));
    embedding = std::move(arr);
  }
  std::string model = "text-embedding-3-small";
  if (auto* m = req.if_contains("model"); m && m->is_string()) model = std::string(m->as_string());
  const std::int64_t tokens = static_cast<std::int64_t>(text.size() / 4 + 1);
  return json::object{{"object", "list"},
                      {"data", json::array{json::object{{"object", "embedding"}, {"index", 0}, {"embedding", std::move(embedding)}}}},
                      {"model", model},
                      {"usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
}

}  // namespace fake_openai
