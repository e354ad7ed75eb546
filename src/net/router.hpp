// Routes: a method and a path pattern ("/api/v1/items/{id}") mapped to a
// handler, with the authentication the route needs. An unknown path is 404;
// a known path with another method is 405. With metrics, every answer is
// counted by method, route pattern and status, and timed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/node_metrics.hpp"
#include "net/auth.hpp"
#include "net/http_types.hpp"

namespace pw::net {

// signed_url: a user's token, or none (then `who` is null and the handler
// checks the URL's signature itself).
enum class access : std::uint8_t { open, user, admin, signed_url };

// `who` is empty for open routes.
using handler = std::function<void(http_request& req, const principal* who, responder respond)>;

struct route {
  std::string method;
  std::string pattern;
  access needs = access::user;
  handler fn;
};

// A request body taken as it arrives (a CSV import), with backpressure: the
// server reads the next piece only once `more` was called.
class body_sink {
 public:
  virtual ~body_sink() = default;
  // A piece of the body; call `more` (from any thread) when ready for the next.
  virtual void data(std::string_view bytes, std::function<void()> more) = 0;
  // The whole body arrived: answer once.
  virtual void end(responder respond) = 0;
  // The client went away or the body broke off: answer nothing.
  virtual void abort(const std::string& why) = 0;
};

// Opens a sink for a request whose headers (no body yet) are in `req`, or
// answers at once (a refusal) and returns nullptr.
using stream_handler =
    std::function<std::shared_ptr<body_sink>(http_request& req, const principal& who, const responder& respond)>;

struct stream_route {
  std::string method;
  std::string pattern;
  access needs = access::user;
  stream_handler fn;
  std::size_t max_body_bytes = 0;  // the limit for this body (instead of limits.max_body_bytes)
};

// The answer to a failed authentication: past the address's limit (429),
// held the authenticator's refusal delay (net/auth.hpp).
http_response refusal(const authenticator& auth, const core::error& e);

class router {
 public:
  explicit router(authenticator& auth, core::node_metrics* metrics = nullptr);
  void add(route r);
  void dispatch(http_request& req, responder respond) const;
  // Streamed routes (their body is not read whole): matched before dispatch.
  void add_stream(stream_route r);
  const stream_route* find_stream(const http_request& req) const;
  // Authenticates and opens the sink; on a refusal answers through `respond`.
  std::shared_ptr<body_sink> open_stream(const stream_route& r, http_request& req, const responder& respond) const;
  // Every route as registered, for GET /api/v1/admin/routes.
  struct route_view {
    std::string method, pattern;
    access needs;
  };
  std::vector<route_view> describe() const;

 private:
  struct compiled {
    route r;
    std::vector<std::string> segments;  // "{id}" marks a parameter
  };
  static bool match(const compiled& c, const std::vector<std::string_view>& parts, http_request& req);
  std::pair<std::string, std::string> labels_of(const http_request& req) const;
  authenticator& auth_;
  core::node_metrics* metrics_;
  std::vector<compiled> routes_;
  struct compiled_stream {
    stream_route r;
    std::vector<std::string> segments;
  };
  std::vector<compiled_stream> streams_;
};

}  // namespace pw::net
