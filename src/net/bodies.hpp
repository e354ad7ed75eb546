// Parses and validates request bodies with simdjson: the item submission
// {workspace, text, title?, metadata?} and the bodies of control actions.
// Every refusal names the field; unknown fields are refused.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/gateway.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace pw::net {

bool valid_workspace_id(std::string_view s) noexcept;  // [A-Za-z0-9._-]{1,64}

class body_parser {
 public:
  explicit body_parser(const core::limits_config& limits);
  ~body_parser();
  // The fields of a submission; owner and pipeline are the caller's to set.
  core::result<actors::submit_request> parse_submit(std::string_view body);
  // Checks that `body` is a JSON object within the limits; returns its
  // compact text ("{}" for an empty body when `empty_ok`).
  core::result<std::string> parse_object(std::string_view body, bool empty_ok);
  // Empty, or {}.
  core::result<void> parse_empty(std::string_view body);
  // POST /items/{id}/retry: empty or {} (the whole pipeline), or {"stages": [...]}.
  core::result<std::optional<std::vector<std::string>>> parse_retry(std::string_view body);
  // POST /items/{id}/rollback: {"stage": "..."}.
  core::result<std::string> parse_rollback(std::string_view body);
  // POST /admin/dlq/requeue: {"ids": ["<item>:<stage>", ...]} or {"all": true}.
  struct requeue_body {
    bool all = false;
    std::vector<std::string> ids;
  };
  core::result<requeue_body> parse_requeue(std::string_view body);
  // POST /api/admin/legacy/requests/requeue: {"requestIds": [...]} (1..10,000).
  core::result<std::vector<std::string>> parse_request_ids(std::string_view body);

 private:
  struct pool;
  const core::limits_config& limits_;
  std::unique_ptr<pool> pool_;
};

}  // namespace pw::net
