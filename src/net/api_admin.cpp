// Admin routes (role: admin): queue counts, dead letters, failed items of
// every workspace.
#include <fmt/format.h>

#include "core/json.hpp"
#include "net/api_common.hpp"
#include "store/write_set.hpp"

namespace pw::net {

namespace {

// A dead letter's id: "<item id>:<stage>".
std::optional<std::pair<std::string, std::string>> split_letter(std::string_view id) {
  auto colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size()) return std::nullopt;
  return std::pair{std::string(id.substr(0, colon)), std::string(id.substr(colon + 1))};
}

std::string queue(const api_context& ctx) {
  auto counts = ctx.gate.counts();
  // Totals are sums over the workspaces' counters: read them once.
  const auto packs = ctx.db.counter_packs();
  auto total = [&](std::string_view field) {
    std::int64_t n = 0;
    for (const auto& [ws, p] : packs) n += p.get(field);
    return n;
  };
  auto c = [&](core::item_status s) { return total(core::to_string(s)); };
  using s = core::item_status;
  return fmt::format(
      "{{\"waiting\":{},\"active\":{},\"delayed\":{},\"queued\":{},\"processing\":{},\"paused\":{},\"completed\":{},"
      "\"partial\":{},\"failed\":{},\"cancelled\":{},\"dead\":{}}}",
      counts.waiting, counts.active, total("delayed"), c(s::queued), c(s::processing), c(s::paused), c(s::completed),
      c(s::partial), c(s::failed), c(s::cancelled), total("dlq"));
}

void dead_letters(api_context& ctx, http_request& req, responder respond) {
  auto limit = parse_limit(req, 100, 1000);
  if (!limit) return respond(error_response(limit.err()));
  auto cursor = cursor_of(req);
  if (!cursor) return respond(error_response(cursor.err()));
  const std::string after = std::move(cursor).value();
  auto page = ctx.db.dead_letters(after, limit.value() + 1);
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < page.size() && i < limit.value(); ++i) {
    if (i) body += ',';
    body += page[i].second;
  }
  body += "],\"next_cursor\":";
  if (page.size() > limit.value()) body += '"' + encode_cursor(page[limit.value() - 1].first) + '"';
  else body += "null";
  body += fmt::format(",\"open\":{}}}", ctx.db.counter(store::dead_letters_counter("")));
  respond(json_response(200, std::move(body)));
}

}  // namespace

void add_admin_routes(router& r, api_context& ctx) {
  r.add({"GET", "/api/v1/admin/queue", access::admin,
         [&ctx](http_request&, const principal*, responder respond) { respond(json_response(200, queue(ctx))); }});

  r.add({"GET", "/api/v1/admin/failed-items", access::admin, [&ctx](http_request& req, const principal* who, responder respond) {
           failed_items_page(ctx, req, *who, std::nullopt, std::move(respond));
         }});

  r.add({"GET", "/api/v1/admin/dlq", access::admin,
         [&ctx](http_request& req, const principal*, responder respond) { dead_letters(ctx, req, std::move(respond)); }});

  r.add({"POST", "/api/v1/admin/dlq/requeue", access::admin, [&ctx](http_request& req, const principal* who, responder respond) {
           auto body = ctx.bodies.parse_requeue(req.body);
           if (!body) return respond(error_response(body.err()));
           std::vector<std::pair<std::string, std::string>> letters;
           for (const auto& id : body->ids) {
             auto l = split_letter(id);
             if (!l)
               return respond(error_response(core::errc::validation_failed,
                                             fmt::format("'{}' is not a dead letter id (<item id>:<stage>)", id),
                                             "{\"field\":\"ids\"}"));
             letters.push_back(std::move(*l));
           }
           guarded(ctx, req, *who, std::move(respond),
                   [&ctx, letters = std::move(letters), all = body->all](responder respond, const std::string&, const std::string&) mutable {
                     ctx.gate.requeue_dead_letters(std::move(letters), all, [respond = std::move(respond)](core::result<std::size_t> n) {
                       if (!n) return respond(error_response(n.err()));
                       respond(json_response(200, fmt::format("{{\"requeued\":{}}}", n.value())));
                     });
                   });
         }});

  r.add({"POST", "/api/v1/admin/dlq/{id}/resolve", access::admin, [&ctx](http_request& req, const principal* who, responder respond) {
           if (auto b = ctx.bodies.parse_empty(req.body); !b) return respond(error_response(b.err()));
           auto letter = split_letter(req.param("id"));
           if (!letter || !ctx.db.dead_letter(letter->first, letter->second))
             return respond(error_response(core::errc::not_found, fmt::format("no open dead letter '{}'", req.param("id"))));
           std::string id(req.param("id"));
           guarded(ctx, req, *who, std::move(respond), [&ctx, letter = *letter, id](responder respond, const std::string&, const std::string&) {
             ctx.gate.control({actors::control_action::resolve, letter.first, {letter.second}},
                              [respond = std::move(respond), id](core::result<actors::control_reply> r) {
                                if (!r) return respond(error_response(r.err()));
                                std::string body = "{\"id\":";
                                core::append_json_string(body, id);
                                body += ",\"status\":\"resolved\"}";
                                respond(json_response(200, std::move(body)));
                              });
           });
         }});
}

}  // namespace pw::net
