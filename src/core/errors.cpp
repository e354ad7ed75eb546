#include "core/errors.hpp"

#include "core/json.hpp"

namespace pw::core {

std::string_view code_name(errc code) noexcept {
  switch (code) {
    case errc::validation_failed: return "VALIDATION_FAILED";
    case errc::invalid_json: return "INVALID_JSON";
    case errc::unauthorized: return "UNAUTHORIZED";
    case errc::forbidden: return "FORBIDDEN";
    case errc::not_found: return "NOT_FOUND";
    case errc::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case errc::invalid_transition: return "INVALID_TRANSITION";
    case errc::conflict: return "CONFLICT";
    case errc::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case errc::headers_too_large: return "HEADERS_TOO_LARGE";
    case errc::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case errc::rate_limited: return "RATE_LIMITED";
    case errc::not_ready: return "NOT_READY";
    case errc::draining: return "DRAINING";
    case errc::queue_full: return "QUEUE_FULL";
    case errc::internal: return "INTERNAL";
    case errc::store_failed: return "STORE_FAILED";
    case errc::unavailable: return "UNAVAILABLE";
  }
  return "INTERNAL";
}

error store_refused(std::string_view cause) {
  std::string details = "{\"cause\":";
  append_json_string(details, cause);
  details += '}';
  return make_error(errc::store_failed,
                    "the store cannot write: " + std::string(cause) +
                        "; what was accepted is kept and goes on once it can write again; retry later",
                    std::move(details));
}

int http_status(errc code) noexcept {
  switch (code) {
    case errc::validation_failed:
    case errc::invalid_json: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::invalid_transition:
    case errc::conflict: return 409;
    case errc::payload_too_large: return 413;
    case errc::headers_too_large: return 431;
    case errc::unsupported_media_type: return 415;
    case errc::rate_limited: return 429;
    case errc::not_ready:
    case errc::draining:
    case errc::queue_full:
    case errc::store_failed:
    case errc::unavailable: return 503;
    case errc::internal: return 500;
  }
  return 500;
}

}  // namespace pw::core
