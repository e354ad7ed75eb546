// Asset listings, newest first with a cursor, from the asset indexes
// (store/assets.hpp): the caller's own (GET /api/v1/assets), a workspace's
// with its counts (GET /api/v1/workspaces/{id}/assets: the caller's own
// assets there, an admin's: everyone's), every workspace's for admins
// (GET /api/v1/admin/assets), and a workspace's failed assets retried in
// bulk (POST /api/v1/workspaces/{id}/assets/retry-failed).
#include <atomic>

#include <fmt/format.h>

#include "core/asset.hpp"
#include "core/json.hpp"
#include "net/api_common.hpp"
#include "net/asset_render.hpp"
#include "store/assets.hpp"

namespace pw::net {

namespace {

core::result<std::optional<core::asset_status>> status_filter(const http_request& req) {
  auto s = req.query_value("status");
  if (!s || s->empty()) return std::optional<core::asset_status>();
  auto a = core::parse_asset_status(*s);
  if (!a || *a == core::asset_status::draft)
    return core::make_error(core::errc::validation_failed, "'status' must be one of processing, active, failed",
                            "{\"field\":\"status\"}");
  return std::optional<core::asset_status>(*a);
}

core::result<std::optional<std::string>> workspace_filter(const http_request& req, const principal& who, std::string_view param) {
  std::string_view w;
  if (!param.empty()) w = param;
  else if (auto q = req.query_value("workspace"); q && !q->empty()) w = *q;
  else return std::optional<std::string>();
  if (!valid_workspace_id(w))
    return core::make_error(core::errc::validation_failed, "the workspace id must match [A-Za-z0-9._-]{1,64}",
                            "{\"field\":\"workspace\"}");
  if (!who.may_use(w)) return core::make_error(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", w));
  return std::optional<std::string>(std::string(w));
}

std::string counts(const store::database& db, std::string_view workspace) {
  std::string out = "{";
  std::int64_t total = 0;
  for (auto s : core::all_asset_statuses) {
    if (s == core::asset_status::draft) continue;
    auto n = db.counter(store::asset_counter(workspace, s));
    total += n;
    out += fmt::format("\"{}\":{},", core::to_string(s), n);
  }
  return out + fmt::format("\"total\":{}}}", total);
}

// One page of a listing as {"assets": [...], "next_cursor", ...extra}.
void answer(api_context& ctx, const http_request& req, store::asset_listing q, const std::string& extra, responder respond) {
  auto limit = parse_limit(req, 50, 200);
  if (!limit) return respond(error_response(limit.err()));
  auto cursor = cursor_of(req);
  if (!cursor) return respond(error_response(cursor.err()));
  q.limit = limit.value();
  q.before = std::move(cursor).value();
  auto page = store::list_assets(ctx.db, q);
  std::string body = "{" + extra + "\"assets\":[";
  bool first = true;
  for (const auto& [id, value] : page.entries) {
    auto rec = ctx.db.record(id);
    if (!rec) continue;  // deleted meanwhile
    if (!first) body += ',';
    first = false;
    body += render_asset_summary(*rec);
  }
  body += "],\"next_cursor\":";
  body += page.next ? "\"" + encode_cursor(*page.next) + "\"" : std::string("null");
  body += '}';
  respond(json_response(200, std::move(body)));
}

void retry_failed(api_context& ctx, http_request& req, const principal& who, const std::string& ws, responder respond) {
  // The failed assets to retry, from the index (at most 10,000 a call).
  std::vector<std::string> ids;
  store::asset_listing q;
  if (!who.admin) q.owner = who.sub;
  q.workspace = ws;
  q.status = core::asset_status::failed;
  q.limit = 200;
  for (;;) {
    auto page = store::list_assets(ctx.db, q);
    for (auto& [id, v] : page.entries) ids.push_back(std::move(id));
    if (!page.next || ids.size() >= 10000) break;
    q.before = *page.next;
  }
  guarded(ctx, req, who, std::move(respond), [&ctx, ids = std::move(ids)](responder respond, const std::string&, const std::string&) {
    if (ids.empty()) return respond(json_response(200, "{\"queued\":0}"));
    struct tally {
      std::atomic<std::size_t> left, ok{0};
      responder respond;
    };
    auto t = std::make_shared<tally>();
    t->left = ids.size();
    t->respond = std::move(respond);
    for (const auto& id : ids) {
      // A failed asset retries its failed stages; a cancelled one runs again.
      ctx.gate.control({actors::control_action::retry_failed, id, {}}, [t, &ctx, id](core::result<actors::control_reply> r) {
        auto settle = [t](bool ok) {
          if (ok) ++t->ok;
          if (--t->left == 0) t->respond(json_response(200, fmt::format("{{\"queued\":{}}}", t->ok.load())));
        };
        if (r) return settle(true);
        ctx.gate.control({actors::control_action::rerun, id, {}}, [settle](core::result<actors::control_reply> r2) { settle(r2.ok()); });
      });
    }
  });
}

}  // namespace

void add_asset_views(router& r, api_context& ctx) {
  r.add({"GET", "/api/v1/assets", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_filter(req, *who, {});
           if (!ws) return respond(error_response(ws.err()));
           auto status = status_filter(req);
           if (!status) return respond(error_response(status.err()));
           store::asset_listing q;
           q.owner = who->sub;
           q.workspace = ws.value();
           q.status = status.value();
           answer(ctx, req, std::move(q), "", std::move(respond));
         }});

  r.add({"GET", "/api/v1/workspaces/{id}/assets", access::user, [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_filter(req, *who, req.param("id"));
           if (!ws) return respond(error_response(ws.err()));
           auto status = status_filter(req);
           if (!status) return respond(error_response(status.err()));
           store::asset_listing q;
           if (!who->admin) q.owner = who->sub;
           q.workspace = ws.value();
           q.status = status.value();
           std::string extra = "\"workspace\":";
           core::append_json_string(extra, *ws.value());
           extra += ",\"counts\":" + counts(ctx.db, *ws.value()) + ",";
           answer(ctx, req, std::move(q), extra, std::move(respond));
         }});

  r.add({"POST", "/api/v1/workspaces/{id}/assets/retry-failed", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_filter(req, *who, req.param("id"));
           if (!ws) return respond(error_response(ws.err()));
           if (auto b = ctx.bodies.parse_empty(req.body); !b) return respond(error_response(b.err()));
           retry_failed(ctx, req, *who, *ws.value(), std::move(respond));
         }});

  r.add({"GET", "/api/v1/admin/assets", access::admin, [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_filter(req, *who, {});
           if (!ws) return respond(error_response(ws.err()));
           auto status = status_filter(req);
           if (!status) return respond(error_response(status.err()));
           store::asset_listing q;
           if (auto o = req.query_value("owner"); o && !o->empty()) q.owner = std::string(*o);
           q.workspace = ws.value();
           q.status = status.value();
           std::string extra = "\"counts\":" + counts(ctx.db, ws.value().value_or("")) + ",";
           answer(ctx, req, std::move(q), extra, std::move(respond));
         }});
}

}  // namespace pw::net
