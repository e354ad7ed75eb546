// Item routes: submit, read, status, history, checkpoints, listing.
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "net/api_common.hpp"
#include "net/render.hpp"
#include "store/listing.hpp"
#include "store/keys.hpp"

namespace pw::net {

namespace {

bool json_content_type(std::string_view ct) {
  if (ct.empty()) return true;  // tolerate clients that send none
  auto base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  constexpr std::string_view expected = "application/json";
  if (base.size() != expected.size()) return false;
  for (std::size_t i = 0; i < base.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(base[i])) != expected[i]) return false;
  return true;
}

void submit(api_context& ctx, http_request& req, const principal& who, responder respond) {
  if (!json_content_type(req.content_type))
    return respond(error_response(core::errc::unsupported_media_type,
                                  "send the item as JSON with Content-Type: application/json"));
  if (auto wait = ctx.submits.admit(who.sub)) {
    auto r = error_response(core::errc::rate_limited,
                            fmt::format("more than {} items a second (limits.submit_rate_per_user); retry in {} s",
                                        ctx.cfg.limits.submit_rate_per_user, *wait));
    for (auto& [k, v] : r.headers)
      if (k == "Retry-After") v = std::to_string(*wait);
    return respond(std::move(r));
  }
  auto parsed = ctx.bodies.parse_submit(req.body);
  if (!parsed) return respond(error_response(parsed.err()));
  auto sub = std::move(parsed).value();
  if (!who.may_use(sub.workspace))
    return respond(error_response(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", sub.workspace)));
  sub.owner = who.sub;
  sub.pipeline = "feedback";
  submit_guarded(ctx, req, who, std::move(respond), std::move(sub), "/api/v1/items/");
}

// `?include=vector` asks for the embedding vectors in stage results; any
// other value is refused.
core::result<bool> include_vectors(const http_request& req) {
  auto inc = req.query_value("include");
  if (!inc || inc->empty()) return false;
  bool vector = false;
  std::string_view rest = *inc;
  while (!rest.empty()) {
    auto part = rest.substr(0, rest.find(','));
    rest.remove_prefix(std::min(rest.size(), part.size() + 1));
    if (part == "vector") vector = true;
    else
      return core::make_error(core::errc::validation_failed,
                              fmt::format("include: unknown value '{}' (known: vector)", part));
  }
  return vector;
}

std::string render_checkpoints(const visible_item& v, const stored_results& results, bool with_vectors) {
  std::string out = "{\"item_id\":";
  core::append_json_string(out, v.item.id);
  out += ",\"status\":";
  core::append_json_string(out, core::to_string(v.state.status));
  out += ",\"checkpoints\":[";
  bool first = true;
  for (std::size_t i = 0; i < v.pipe->size(); ++i) {
    const auto& st = v.state.stages[i];
    if (st.status != core::stage_status::completed) continue;
    const auto& name = v.pipe->stages()[i].name;
    for (const auto& [stage, json] : results) {
      if (stage != name) continue;
      if (!first) out += ',';
      first = false;
      out += "{\"stage\":";
      core::append_json_string(out, name);
      out += fmt::format(",\"attempts\":{},\"completed_at\":\"{}\",\"result\":", st.attempts, core::iso8601(st.finished_at_ms));
      out += public_result(json, with_vectors);
      out += '}';
    }
  }
  out += "]}";
  return out;
}

// GET /items: the caller's items (an admin's: everyone's), newest first,
// from an index chosen by the filters (workspace, status, or workspace and
// theme); never a scan of all items.
void list(api_context& ctx, http_request& req, const principal& who, responder respond) {
  auto limit = parse_limit(req, 50, 200);
  if (!limit) return respond(error_response(limit.err()));
  std::optional<std::string> workspace, status;
  if (auto w = req.query_value("workspace"); w && !w->empty()) {
    if (!valid_workspace_id(*w))
      return respond(error_response(core::errc::validation_failed, "'workspace' is not a workspace id", "{\"field\":\"workspace\"}"));
    if (!who.may_use(*w))
      return respond(error_response(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", *w)));
    workspace = std::string(*w);
  }
  if (auto s = req.query_value("status"); s && !s->empty()) {
    if (!core::parse_item_status(*s))
      return respond(error_response(core::errc::validation_failed,
                                    "'status' must be one of queued, processing, paused, completed, partial, failed, cancelled",
                                    "{\"field\":\"status\"}"));
    status = std::string(*s);
  }
  std::optional<std::string> theme;
  if (auto t = req.query_value("theme"); t && !t->empty()) {
    if (!workspace)
      return respond(error_response(core::errc::validation_failed, "'theme' needs 'workspace' (themes belong to a workspace)",
                                    "{\"field\":\"theme\"}"));
    if (status)
      return respond(error_response(core::errc::validation_failed, "'theme' and 'status' cannot be combined",
                                    "{\"field\":\"theme\"}"));
    if (t->size() > 200 || t->find('\0') != std::string_view::npos)
      return respond(error_response(core::errc::validation_failed, "'theme' is not a theme id", "{\"field\":\"theme\"}"));
    theme = std::string(*t);
  }
  auto cursor = cursor_of(req);
  if (!cursor) return respond(error_response(cursor.err()));
  store::index_page page;
  if (theme) {
    store::index_query q;
    q.limit = limit.value();
    q.before = std::move(cursor).value();
    q.prefix = store::index_workspace_theme_key(*workspace, *theme, "");
    if (!who.admin) q.value_equals = who.sub;
    page = ctx.db.list(q);
  } else {
    store::listing_request l;
    if (!who.admin) {
      l.owner = who.sub;
      if (!who.all_workspaces) l.owner_workspaces = who.workspaces;
    }
    l.workspace = workspace;
    if (status) l.status = core::parse_item_status(*status);
    l.before = std::move(cursor).value();
    l.limit = limit.value();
    page = store::list_items(ctx.db, l);
  }
  std::string body = "{\"items\":[";
  bool first = true;
  for (const auto& [id, value] : page.entries) {
    auto rec = ctx.db.record(id);
    if (!rec) continue;  // deleted meanwhile
    if (!first) body += ',';
    first = false;
    body += render_summary(rec->item, rec->header.status);
  }
  body += "],\"next_cursor\":";
  if (page.next) {
    body += '"';
    body += encode_cursor(*page.next);
    body += '"';
  } else {
    body += "null";
  }
  body += '}';
  respond(json_response(200, std::move(body)));
}

}  // namespace

void add_item_routes(router& r, api_context& ctx) {
  r.add({"POST", "/api/v1/items", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) { submit(ctx, req, *who, std::move(respond)); }});
  r.add({"GET", "/api/v1/items", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) { list(ctx, req, *who, std::move(respond)); }});

  r.add({"GET", "/api/v1/items/{id}", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto vectors = include_vectors(req);
           if (!vectors) return respond(error_response(vectors.err()));
           auto v = load_visible(ctx, req.param("id"), *who);
           if (!v) return respond(error_response(v.err()));
           respond(json_response(200, render_item(v->item, *v->pipe, v->state, v->results, vectors.value())));
         }});

  r.add({"GET", "/api/v1/items/{id}/processing-status", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto v = load_visible(ctx, req.param("id"), *who);
           if (!v) return respond(error_response(v.err()));
           respond(json_response(200, render_status(v->item, *v->pipe, v->state)));
         }});

  r.add({"GET", "/api/v1/items/{id}/history", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto v = load_visible(ctx, req.param("id"), *who);
           if (!v) return respond(error_response(v.err()));
           respond(json_response(200, render_history(v->item, v->history)));
         }});

  r.add({"GET", "/api/v1/items/{id}/checkpoints", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto vectors = include_vectors(req);
           if (!vectors) return respond(error_response(vectors.err()));
           auto v = load_visible(ctx, req.param("id"), *who);
           if (!v) return respond(error_response(v.err()));
           respond(json_response(200, render_checkpoints(v.value(), v->results, vectors.value())));
         }});
}

void add_health_routes(router& r, api_context& ctx) {
  // Liveness: the process serves (reads and sockets too while the store
  // refuses writes: restarting it would not free the disk, and a node that
  // cannot write may not even start). The store's state is in the body.
  r.add({"GET", "/healthz", access::open, [&ctx](http_request&, const principal*, responder respond) {
           if (auto failure = ctx.store_failure()) {
             std::string body = "{\"status\":\"ok\",\"store\":\"refusing writes\",\"cause\":";
             core::append_json_string(body, *failure);
             return respond(json_response(200, body + "}"));
           }
           respond(json_response(200, "{\"status\":\"ok\"}"));
         }});
  r.add({"GET", "/readyz", access::open, [&ctx](http_request&, const principal*, responder respond) {
           if (ctx.gate.draining()) return respond(error_response(core::errc::draining, "the node is shutting down"));
           if (!ctx.gate.ready()) return respond(error_response(core::errc::not_ready, "recovering accepted work"));
           if (auto failure = ctx.store_failure()) return respond(error_response(core::store_refused(*failure)));
           respond(json_response(200, "{\"status\":\"ready\"}"));
         }});
}

void add_all_routes(router& r, api_context& ctx) {
  add_health_routes(r, ctx);
  add_item_routes(r, ctx);
  add_control_routes(r, ctx);
  add_workspace_routes(r, ctx);
  add_admin_routes(r, ctx);
  add_asset_routes(r, ctx);
  add_operations_routes(r, ctx);
  add_dashboard_routes(r);
  add_batch_routes(r, ctx);
  add_document_routes(r);
}

}  // namespace pw::net
