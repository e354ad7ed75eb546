// Parses and validates the body of POST /api/v1/items with simdjson:
// {workspace, text, title?, metadata?}. Every refusal names the field.
#pragma once

#include <memory>
#include <mutex>
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

 private:
  struct pool;
  const core::limits_config& limits_;
  std::unique_ptr<pool> pool_;
};

}  // namespace pw::net
