// Item routes: submit, read, status, history.
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "net/api.hpp"
#include "net/render.hpp"
#include "store/codec.hpp"

namespace pw::net {

namespace {

bool json_content_type(std::string_view ct) {
  if (ct.empty()) return true;  // tolerate clients that send none
  auto semi = ct.find(';');
  auto base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 16) return false;
  constexpr std::string_view expected = "application/json";
  for (std::size_t i = 0; i < base.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(base[i])) != expected[i]) return false;
  return true;
}

struct loaded {
  core::item item;
  const core::pipeline* pipe;
  core::item_state state;
};

// The item if `who` may see it. Another user's item is 404, not 403: its
// existence is not the caller's business.
core::result<loaded> load_visible(const api_context& ctx, std::string_view id, const principal& who) {
  auto not_found = [&] { return core::make_error(core::errc::not_found, fmt::format("no item '{}'", id)); };
  if (!core::looks_like_id(id)) return not_found();
  auto it = ctx.db.item(id);
  if (!it || (it->owner != who.sub && !who.admin)) return not_found();
  auto p = ctx.cfg.pipelines.find(it->pipeline);
  auto record = ctx.db.state_record(id);
  if (p == ctx.cfg.pipelines.end() || !record)
    return core::make_error(core::errc::internal, fmt::format("item '{}' has no readable state", id));
  auto state = store::decode_state(*record, p->second);
  if (!state) return core::make_error(core::errc::internal, fmt::format("item '{}' has no readable state", id));
  return loaded{std::move(*it), &p->second, std::move(*state)};
}

void submit(api_context& ctx, http_request& req, const principal* who, responder respond) {
  if (!json_content_type(req.content_type))
    return respond(error_response(core::errc::unsupported_media_type,
                                  "send the item as JSON with Content-Type: application/json"));
  auto parsed = ctx.bodies.parse_submit(req.body);
  if (!parsed) return respond(error_response(parsed.err()));
  auto sub = std::move(parsed).value();
  if (!who->may_use(sub.workspace))
    return respond(error_response(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", sub.workspace)));
  sub.owner = who->sub;
  sub.pipeline = "feedback";
  ctx.gate.submit(std::move(sub), [respond = std::move(respond)](core::result<actors::submit_reply> r) {
    if (!r) return respond(error_response(r.err()));
    std::string body = "{\"id\":\"" + r->id + "\",\"status\":\"queued\",\"created_at\":\"" +
                       core::iso8601(r->created_at_ms) + "\"}";
    auto resp = json_response(201, std::move(body));
    resp.headers.emplace_back("Location", "/api/v1/items/" + r->id);
    respond(std::move(resp));
  });
}

}  // namespace

void add_item_routes(router& r, api_context& ctx) {
  r.add({"POST", "/api/v1/items", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) { submit(ctx, req, who, std::move(respond)); }});

  r.add({"GET", "/api/v1/items/{id}", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto l = load_visible(ctx, req.param("id"), *who);
           if (!l) return respond(error_response(l.err()));
           auto results = ctx.db.results(l->item.id);
           respond(json_response(200, render_item(l->item, *l->pipe, l->state, results)));
         }});

  r.add({"GET", "/api/v1/items/{id}/processing-status", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto l = load_visible(ctx, req.param("id"), *who);
           if (!l) return respond(error_response(l.err()));
           respond(json_response(200, render_status(l->item, *l->pipe, l->state)));
         }});

  r.add({"GET", "/api/v1/items/{id}/history", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto l = load_visible(ctx, req.param("id"), *who);
           if (!l) return respond(error_response(l.err()));
           respond(json_response(200, render_history(l->item, ctx.db.history(l->item.id))));
         }});
}

void add_health_routes(router& r, api_context& ctx) {
  r.add({"GET", "/healthz", access::open, [&ctx](http_request&, const principal*, responder respond) {
           if (!ctx.store_healthy())
             return respond(error_response(core::errc::store_failed, "the store refused a write; see the server log"));
           respond(json_response(200, "{\"status\":\"ok\"}"));
         }});
  r.add({"GET", "/readyz", access::open, [&ctx](http_request&, const principal*, responder respond) {
           if (ctx.gate.draining()) return respond(error_response(core::errc::draining, "the node is shutting down"));
           if (!ctx.gate.ready()) return respond(error_response(core::errc::not_ready, "recovering accepted work"));
           if (!ctx.store_healthy())
             return respond(error_response(core::errc::store_failed, "the store refused a write; see the server log"));
           respond(json_response(200, "{\"status\":\"ready\"}"));
         }});
}

}  // namespace pw::net
