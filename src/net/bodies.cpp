#include "net/bodies.hpp"

#include <algorithm>
#include <functional>

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

// A list of 1..max strings, each 1..128 bytes.
core::result<std::vector<std::string>> strings(std::string_view field, dom::element v, std::size_t max) {
  dom::array arr;
  if (v.get(arr)) return invalid(std::string(field), fmt::format("'{}' must be an array of strings, not {}", field, kind_name(v.type())));
  std::vector<std::string> out;
  for (auto e : arr) {
    std::string_view s;
    if (e.get(s) || s.empty() || s.size() > 128)
      return invalid(std::string(field), fmt::format("'{}' must hold non-empty strings of at most 128 bytes", field));
    out.emplace_back(s);
  }
  if (out.empty() || out.size() > max)
    return invalid(std::string(field), fmt::format("'{}' must hold 1 to {} entries", field, max));
  return out;
}

using field_fn = std::function<core::result<void>(std::string_view key, dom::element value)>;

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

  // Parses `body` as a JSON object and calls `on_field` for each field; the
  // first error wins. An empty body is an empty object when `empty_ok`.
  core::result<void> visit(std::string_view body, std::uint32_t depth, bool empty_ok, const field_fn& on_field) {
    if (blank(body)) {
      if (empty_ok) return core::ok();
      return core::make_error(errc::invalid_json, "the body is empty; expected a JSON object");
    }
    std::unique_ptr<dom::parser> p;
    {
      std::lock_guard lock(mu);
      if (!free.empty()) {
        p = std::move(free.back());
        free.pop_back();
      }
    }
    if (!p) p = std::make_unique<dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES);
    auto result = [&]() -> core::result<void> {
      // Grow the parser's buffers only when a larger body comes along.
      if (p->capacity() < body.size() || p->max_depth() != depth)
        if (auto e = p->allocate(std::max<std::size_t>(body.size(), 64 * 1024), depth); e) return json_error(e, depth);
      auto doc = p->parse(body.data(), body.size(), true);
      if (doc.error()) return json_error(doc.error(), depth);
      dom::object obj;
      if (doc.value_unsafe().get(obj))
        return core::make_error(errc::validation_failed,
                                fmt::format("the body must be a JSON object, not {}", kind_name(doc.value_unsafe().type())));
      std::vector<std::string_view> seen;
      for (auto field : obj) {
        std::string_view key = field.key;
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
          return invalid(std::string(key), fmt::format("field '{}' appears twice", key));
        seen.push_back(key);
        if (auto r = on_field(key, field.value); !r) return r;
      }
      return core::ok();
    }();
    std::lock_guard lock(mu);
    if (free.size() < 16) free.push_back(std::move(p));
    return result;
  }
};

body_parser::body_parser(const core::limits_config& limits) : limits_(limits), pool_(std::make_unique<pool>()) {}
body_parser::~body_parser() = default;

core::result<std::string> body_parser::parse_object(std::string_view body, bool empty_ok) {
  std::string out = "{";
  auto r = pool_->visit(body, limits_.max_json_depth, empty_ok, [&](std::string_view key, dom::element v) {
    if (out.size() > 1) out += ',';
    core::append_json_string(out, key);
    out += ':';
    out += simdjson::minify(v);
    return core::ok();
  });
  if (!r) return std::move(r).err();
  return out + '}';
}

core::result<actors::submit_request> body_parser::parse_submit(std::string_view body) {
  actors::submit_request req;
  bool has_workspace = false, has_text = false;
  auto r = pool_->visit(body, limits_.max_json_depth, false, [&](std::string_view key, dom::element value) -> core::result<void> {
    if (key == "workspace") {
      std::string_view s;
      if (value.get(s)) return invalid("workspace", fmt::format("'workspace' must be a string, not {}", kind_name(value.type())));
      if (!valid_workspace_id(s))
        return invalid("workspace", "'workspace' must be 1-64 characters of letters, digits, '.', '_' or '-'");
      req.workspace = std::string(s);
      has_workspace = true;
    } else if (key == "text") {
      std::string_view s;
      if (value.get(s)) return invalid("text", fmt::format("'text' must be a string, not {}", kind_name(value.type())));
      if (blank(s)) return invalid("text", "'text' must not be empty");
      if (s.size() > limits_.max_text_bytes)
        return invalid("text", fmt::format("'text' is {} bytes; the limit is {} (limits.max_text_bytes)", s.size(),
                                           limits_.max_text_bytes));
      req.text = std::string(s);
      has_text = true;
    } else if (key == "title") {
      if (value.is_null()) return core::ok();
      std::string_view s;
      if (value.get(s)) return invalid("title", fmt::format("'title' must be a string or null, not {}", kind_name(value.type())));
      if (s.size() > limits_.max_title_bytes)
        return invalid("title", fmt::format("'title' is {} bytes; the limit is {} (limits.max_title_bytes)", s.size(),
                                            limits_.max_title_bytes));
      req.title = std::string(s);
    } else if (key == "metadata") {
      if (value.is_null()) return core::ok();
      if (!value.is_object())
        return invalid("metadata", fmt::format("'metadata' must be an object, not {}", kind_name(value.type())));
      req.metadata_json = simdjson::minify(value);
      if (req.metadata_json.size() > limits_.max_metadata_bytes)
        return invalid("metadata", fmt::format("'metadata' is {} bytes; the limit is {} (limits.max_metadata_bytes)",
                                               req.metadata_json.size(), limits_.max_metadata_bytes));
    } else {
      return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: workspace, text, title, metadata)", key));
    }
    return core::ok();
  });
  if (!r) return std::move(r).err();
  if (!has_workspace) return invalid("workspace", "'workspace' is required");
  if (!has_text) return invalid("text", "'text' is required");
  return req;
}

core::result<void> body_parser::parse_empty(std::string_view body) {
  return pool_->visit(body, limits_.max_json_depth, true, [](std::string_view key, dom::element) -> core::result<void> {
    return invalid(std::string(key), fmt::format("unknown field '{}' (this action takes no fields)", key));
  });
}

core::result<std::optional<std::vector<std::string>>> body_parser::parse_retry(std::string_view body) {
  std::optional<std::vector<std::string>> stages;
  auto r = pool_->visit(body, limits_.max_json_depth, true, [&](std::string_view key, dom::element v) -> core::result<void> {
    if (key != "stages") return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: stages)", key));
    auto list = strings("stages", v, 64);
    if (!list) return std::move(list).err();
    stages = std::move(list).value();
    return core::ok();
  });
  if (!r) return std::move(r).err();
  return stages;
}

core::result<std::string> body_parser::parse_rollback(std::string_view body) {
  std::optional<std::string> stage;
  auto r = pool_->visit(body, limits_.max_json_depth, true, [&](std::string_view key, dom::element v) -> core::result<void> {
    if (key != "stage") return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: stage)", key));
    std::string_view s;
    if (v.get(s) || s.empty() || s.size() > 128)
      return invalid("stage", "'stage' must be a stage name (a non-empty string)");
    stage = std::string(s);
    return core::ok();
  });
  if (!r) return std::move(r).err();
  if (!stage) return invalid("stage", "'stage' is required: the stage to roll back to");
  return *stage;
}

core::result<body_parser::requeue_body> body_parser::parse_requeue(std::string_view body) {
  requeue_body out;
  bool has_ids = false, has_all = false;
  auto r = pool_->visit(body, limits_.max_json_depth, false, [&](std::string_view key, dom::element v) -> core::result<void> {
    if (key == "ids") {
      auto list = strings("ids", v, 1000);
      if (!list) return std::move(list).err();
      out.ids = std::move(list).value();
      has_ids = true;
    } else if (key == "all") {
      bool b;
      if (v.get(b)) return invalid("all", "'all' must be true or false");
      out.all = b;
      has_all = true;
    } else {
      return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: ids, all)", key));
    }
    return core::ok();
  });
  if (!r) return std::move(r).err();
  if (has_ids == (has_all && out.all))
    return invalid(has_ids ? "all" : "ids", "give either 'ids' (dead letter ids) or \"all\": true");
  return out;
}

core::result<std::vector<std::string>> body_parser::parse_request_ids(std::string_view body) {
  std::optional<std::vector<std::string>> ids;
  auto r = pool_->visit(body, limits_.max_json_depth, false, [&](std::string_view key, dom::element v) -> core::result<void> {
    if (key != "requestIds") return invalid(std::string(key), fmt::format("unknown field '{}' (allowed: requestIds)", key));
    auto list = strings("requestIds", v, 10000);
    if (!list) return std::move(list).err();
    ids = std::move(list).value();
    return core::ok();
  });
  if (!r) return std::move(r).err();
  if (!ids) return invalid("requestIds", "'requestIds' is required: the ids of the requests to requeue");
  return std::move(*ids);
}

}  // namespace pw::net
