// Routes: a method and a path pattern ("/api/v1/items/{id}") mapped to a
// handler, with the authentication the route needs. An unknown path is 404;
// a known path with another method is 405. With metrics, every answer is
// counted by method, route pattern and status, and timed.
#pragma once

#include <functional>
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

class router {
 public:
  explicit router(authenticator& auth, core::node_metrics* metrics = nullptr);
  void add(route r);
  void dispatch(http_request& req, responder respond) const;
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
};

}  // namespace pw::net
