// Error codes that callers see, and the HTTP status each one maps to.
// The table is documented in docs/errors.md; keep the two in step.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pw::core {

enum class errc : std::uint8_t {
  validation_failed,       // 400 the request is well-formed JSON but breaks a rule
  invalid_json,            // 400 the body is not JSON, or not UTF-8, or too deep
  unauthorized,            // 401 no token, bad signature, expired, wrong algorithm
  forbidden,               // 403 the token lacks the workspace or the role
  not_found,               // 404 no such route or item (or not the caller's item)
  method_not_allowed,      // 405 the route exists with another method
  invalid_transition,      // 409 the item's status does not allow the action
  conflict,                // 409 another conflict (idempotency key reused)
  payload_too_large,       // 413 body over the configured limit
  headers_too_large,       // 431 request line and headers over 16 KiB
  unsupported_media_type,  // 415 body is not application/json
  rate_limited,            // 429 too many requests; see Retry-After
  not_ready,               // 503 recovery still running
  draining,                // 503 the node is shutting down
  queue_full,              // 503 the durable queue is at its configured bound
  internal,                // 500 a bug; logged with a request id
  store_failed,            // 503 the store refused a write (disk full, I/O error)
  unavailable,             // 503 (cluster) the node holding the workspace or item cannot answer now, or it is moving
};

struct error {
  errc code = errc::internal;
  std::string message;
  // Optional JSON object text with machine-readable details, or empty.
  std::string details_json;
};

std::string_view code_name(errc code) noexcept;
int http_status(errc code) noexcept;

inline error make_error(errc code, std::string message, std::string details_json = {}) {
  return error{code, std::move(message), std::move(details_json)};
}

// 503 STORE_FAILED naming why the store refuses writes ("no space left on
// device", ...), with the cause also in details.cause.
error store_refused(std::string_view cause);

}  // namespace pw::core
