// A request and a response as route handlers see them: plain data, so that
// only the connection code (server.cpp, ws_session.cpp) includes Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.hpp"

namespace pw::net {

struct form_data;  // net/multipart.hpp

struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, percent-decoded
  std::map<std::string, std::string, std::less<>> query;
  std::string authorization;
  std::string content_type;
  std::string idempotency_key;
  std::string body;
  // A multipart/form-data upload, parsed while it streamed in (server.cpp);
  // then `body` is empty.
  std::shared_ptr<form_data> form;
  std::string request_id;  // for logs
  std::string remote;      // the client's IP address
  // Filled by the router: {id} and friends.
  std::map<std::string, std::string, std::less<>> params;

  std::string_view param(std::string_view name) const;
  std::optional<std::string_view> query_value(std::string_view name) const;
};

struct http_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds hold{0};  // sent this late (a refused flood: net/auth.hpp)
};

// Called exactly once per request, from any thread.
using responder = std::function<void(http_response)>;

http_response json_response(int status, std::string body);
// {"error":{"code":"...","message":"...","details":{...}}} with the code's status.
http_response error_response(const core::error& e);
http_response error_response(core::errc code, std::string message, std::string details_json = {});

// Splits "/a/b?x=1&y=%20" into a decoded path and query parameters; false
// when the target cannot be decoded.
bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string, std::less<>>& query);

}  // namespace pw::net
