#include "net/submit_body.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/json.hpp"

namespace pw::net {

namespace {

using core::errc;
namespace dom = simdjson::dom;

core::error invalid(std::string field, std::string message) {
  std::string details = "{\"field\":";
  core::append_json_string(details, field);
  details += '}';
  return core::make_error(errc::validation_failed, std::move(message), std::move(details));
}

std::string_view kind_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "something else";
}

bool blank(std::string_view s) {
  for (unsigned char c : s)
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r')) return false;
  return true;
}

core::error json_error(simdjson::error_code e, std::uint32_t max_depth) {
  if (e == simdjson::DEPTH_ERROR)
    return core::make_error(errc::invalid_json, fmt::format("JSON nested deeper than {} levels (limits.max_json_depth)", max_depth));
  if (e == simdjson::UTF8_ERROR) return core::make_error(errc::invalid_json, "the body is not valid UTF-8");
  if (e == simdjson::EMPTY) return core::make_error(errc::invalid_json, "the body is empty; expected a JSON object");
  return core::make_error(errc::invalid_json, std::string("the body is not valid JSON: ") + simdjson::error_message(e));
}

}  // namespace

bool valid_workspace_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

// simdjson parsers are not thread-safe and keep their buffers: reuse them.
struct body_parser::pool {
  std::mutex mu;
  std::vector<std::unique_ptr<dom::parser>> free;
};

body_parser::body_parser(const core::limits_config& limits) : limits_(limits), pool_(std::make_unique<pool>()) {}
body_parser::~body_parser() = default;

namespace {

class lease {
 public:
  lease(std::mutex& mu, std::vector<std::unique_ptr<dom::parser>>& free, std::size_t max_depth) : mu_(mu), free_(free) {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      p_ = std::move(free_.back());
      free_.pop_back();
    }
    if (!p_) p_ = std::make_unique<dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES);
    depth_ = max_depth;
  }
  ~lease() {
    std::lock_guard lock(mu_);
    if (free_.size() < 16) free_.push_back(std::move(p_));
  }
  simdjson::simdjson_result<dom::element> parse(std::string_view body) {
    // Grow the parser's buffers only when a larger body comes along.
    if (p_->capacity() < body.size() || p_->max_depth() != depth_)
      if (auto e = p_->allocate(std::max<std::size_t>(body.size(), 64 * 1024), depth_); e) return e;
    return p_->parse(body.data(), body.size(), true);
  }

 private:
  std::mutex& mu_;
  std::vector<std::unique_ptr<dom::parser>>& free_;
  std::unique_ptr<dom::parser> p_;
  std::size_t depth_;
};

}  // namespace

core::result<std::string> body_parser::parse_object(std::string_view body, bool empty_ok) {
  if (blank(body)) {
    if (empty_ok) return std::string("{}");
    return core::make_error(errc::invalid_json, "the body is empty; expected a JSON object");
  }
  lease l(pool_->mu, pool_->free, limits_.max_json_depth);
  auto doc = l.parse(body);
  if (doc.error()) return json_error(doc.error(), limits_.max_json_depth);
  if (!doc.value_unsafe().is_object())
    return core::make_error(errc::validation_failed, fmt::format("the body must be a JSON object, not {}",
                                                                 kind_name(doc.value_unsafe().type())));
  return simdjson::minify(doc.value_unsafe());
}

core::result<actors::submit_request> body_parser::parse_submit(std::string_view body) {
  if (blank(body)) return core::make_error(errc::invalid_json, "the body is empty; expected a JSON object");
  lease l(pool_->mu, pool_->free, limits_.max_json_depth);
  auto doc = l.parse(body);
  if (doc.error()) return json_error(doc.error(), limits_.max_json_depth);
  dom::element root = doc.value_unsafe();
  dom::object obj;
  if (root.get(obj))
    return core::make_error(errc::validation_failed, fmt::format("the body must be a JSON object, not {}", kind_name(root.type())));

  actors::submit_request req;
  bool seen_workspace = false, seen_text = false, seen_title = false, seen_metadata = false;
  for (auto field : obj) {
    std::string_view key = field.key;
    auto value = field.value;
    auto once = [&](bool& seen) -> bool {
      if (seen) return false;
      seen = true;
      return true;
    };
    if (key == "workspace") {
      if (!once(seen_workspace)) return invalid("workspace", "field 'workspace' appears twice");
      std::string_view s;
      if (value.get(s)) return invalid("workspace", fmt::format("'workspace' must be a string, not {}", kind_name(value.type())));
      if (!valid_workspace_id(s))
        return invalid("workspace", "'workspace' must be 1-64 characters of letters, digits, '.', '_' or '-'");
      req.workspace = std::string(s);
    } else if (key == "text") {
      if (!once(seen_text)) return invalid("text", "field 'text' appears twice");
      std::string_view s;
      if (value.get(s)) return invalid("text", fmt::format("'text' must be a string, not {}", kind_name(value.type())));
      if (blank(s)) return invalid("text", "'text' must not be empty");
      if (s.size() > limits_.max_text_bytes)
        return invalid("text", fmt::format("'text' is {} bytes; the limit is {} (limits.max_text_bytes)", s.size(),
                                           limits_.max_text_bytes));
      req.text = std::string(s);
    } else if (key == "title") {
      if (!once(seen_title)) return invalid("title", "field 'title' appears twice");
      if (value.is_null()) continue;
      std::string_view s;
      if (value.get(s)) return invalid("title", fmt::format("'title' must be a string or null, not {}", kind_name(value.type())));
      if (s.size() > limits_.max_title_bytes)
        return invalid("title", fmt::format("'title' is {} bytes; the limit is {} (limits.max_title_bytes)", s.size(),
                                            limits_.max_title_bytes));
      req.title = std::string(s);
    } else if (key == "metadata") {
      if (!once(seen_metadata)) return invalid("metadata", "field 'metadata' appears twice");
      if (value.is_null()) continue;
      if (!value.is_object())
        return invalid("metadata", fmt::format("'metadata' must be an object, not {}", kind_name(value.type())));
      req.metadata_json = simdjson::minify(value);
      if (req.metadata_json.size() > limits_.max_metadata_bytes)
        return invalid("metadata", fmt::format("'metadata' is {} bytes; the limit is {} (limits.max_metadata_bytes)",
                                               req.metadata_json.size(), limits_.max_metadata_bytes));
    } else {
      return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: workspace, text, title, metadata)", key));
    }
  }
  if (!seen_workspace) return invalid("workspace", "'workspace' is required");
  if (!seen_text) return invalid("text", "'text' is required");
  return req;
}

}  // namespace pw::net
