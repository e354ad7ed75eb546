// Admin routes available so far: dead letters.
#include <fmt/format.h>

#include "net/api.hpp"
#include "store/write_set.hpp"

namespace pw::net {

namespace {

std::size_t parse_limit(const http_request& req, std::size_t fallback, std::size_t max, bool& ok) {
  ok = true;
  auto v = req.query_value("limit");
  if (!v) return fallback;
  std::size_t n = 0;
  if (v->empty() || v->size() > 7) return ok = false, 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return ok = false, 0;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == 0 || n > max) return ok = false, 0;
  return n;
}

}  // namespace

void add_admin_routes(router& r, api_context& ctx) {
  r.add({"GET", "/api/v1/admin/dlq", access::admin, [&ctx](http_request& req, const principal*, responder respond) {
           bool ok;
           auto limit = parse_limit(req, 100, 1000, ok);
           if (!ok)
             return respond(error_response(core::errc::validation_failed, "'limit' must be an integer from 1 to 1000",
                                           "{\"field\":\"limit\"}"));
           auto cursor = req.query_value("cursor").value_or("");
           auto page = ctx.db.dead_letters(cursor, limit + 1);
           std::string body = "{\"items\":[";
           for (std::size_t i = 0; i < page.size() && i < limit; ++i) {
             if (i) body += ',';
             body += page[i].second;
           }
           body += "],\"next_cursor\":";
           if (page.size() > limit) {
             body += '"';
             body += page[limit - 1].first;  // keys are id '/' stage: JSON-safe characters
             body += '"';
           } else {
             body += "null";
           }
           body += fmt::format(",\"open\":{}}}", ctx.db.counter(store::dead_letters_counter));
           respond(json_response(200, std::move(body)));
         }});
}

}  // namespace pw::net
