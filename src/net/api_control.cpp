// Control routes: pause, resume, cancel, retry, rollback, delete. Each
// answers once the action is durable, or 409 naming the item's status.
#include <fmt/format.h>

#include "core/json.hpp"
#include "net/api_common.hpp"

namespace pw::net {

namespace {

using actors::control_action;

http_response control_answer(const actors::control_reply& r) {
  std::string body = "{\"id\":";
  core::append_json_string(body, r.item_id);
  body += ",\"status\":";
  core::append_json_string(body, r.status);
  body += '}';
  return json_response(200, std::move(body));
}

// Checks the caller may see the item, then runs the action under the
// request's Idempotency-Key.
void run_control(api_context& ctx, http_request& req, const principal& who, responder respond,
                 actors::control_request action) {
  auto v = load_visible(ctx, req.param("id"), who);
  if (!v) return respond(error_response(v.err()));
  action.item_id = v->item.id;
  guarded(ctx, req, who, std::move(respond), [&ctx, action = std::move(action)](responder respond, const std::string&, const std::string&) mutable {
    ctx.gate.control(std::move(action), [respond = std::move(respond)](core::result<actors::control_reply> r) {
      respond(r ? control_answer(r.value()) : error_response(r.err()));
    });
  });
}

route simple(api_context& ctx, const char* path, control_action a) {
  return {"POST", path, access::user, [&ctx, a](http_request& req, const principal* who, responder respond) {
            if (auto b = ctx.bodies.parse_empty(req.body); !b) return respond(error_response(b.err()));
            run_control(ctx, req, *who, std::move(respond), {a, {}, {}});
          }};
}

}  // namespace

void add_control_routes(router& r, api_context& ctx) {
  r.add(simple(ctx, "/api/v1/items/{id}/pause", control_action::pause));
  r.add(simple(ctx, "/api/v1/items/{id}/resume", control_action::resume));
  r.add(simple(ctx, "/api/v1/items/{id}/cancel", control_action::cancel));

  r.add({"POST", "/api/v1/items/{id}/retry", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto stages = ctx.bodies.parse_retry(req.body);
           if (!stages) return respond(error_response(stages.err()));
           if (stages.value()) return run_control(ctx, req, *who, std::move(respond), {control_action::retry, {}, std::move(*stages.value())});
           run_control(ctx, req, *who, std::move(respond), {control_action::rerun, {}, {}});
         }});

  r.add({"POST", "/api/v1/items/{id}/rollback", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto stage = ctx.bodies.parse_rollback(req.body);
           if (!stage) return respond(error_response(stage.err()));
           run_control(ctx, req, *who, std::move(respond), {control_action::rollback, {}, {std::move(stage).value()}});
         }});

  r.add({"DELETE", "/api/v1/items/{id}", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           run_control(ctx, req, *who, std::move(respond), {control_action::remove, {}, {}});
         }});
}

}  // namespace pw::net
