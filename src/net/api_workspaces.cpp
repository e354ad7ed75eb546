// Workspace routes (the token must hold the workspace): metrics from
// counters, failed items from the status index, bulk retry. A user sees and
// retries only their own items; an admin, everyone's.
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/usage.hpp"
#include "net/api_common.hpp"
#include "net/usage_view.hpp"
#include "store/codec.hpp"
#include "store/keys.hpp"
#include "store/listing.hpp"
#include "store/write_set.hpp"

namespace pw::net {

namespace {

core::result<std::string> workspace_of(const http_request& req, const principal& who) {
  auto ws = req.param("id");
  if (!valid_workspace_id(ws))
    return core::make_error(core::errc::validation_failed, "the workspace id must match [A-Za-z0-9._-]{1,64}",
                            "{\"field\":\"workspace\"}");
  if (!who.may_use(ws))
    return core::make_error(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", ws));
  return std::string(ws);
}

std::string metrics(const store::database& db, const std::string& ws) {
  // Every counter of the workspace is in one record: read it once.
  const auto pack = db.counters_of(ws);
  auto c = [&](const std::string& name) {
    auto n = store::parse_counter_name(name);
    return n ? pack.get(n->field) : std::int64_t{0};
  };
  std::string out = "{\"workspace\":";
  core::append_json_string(out, ws);
  out += ",\"items\":{";
  std::int64_t total = 0;
  for (auto s : core::all_item_statuses) {
    auto n = c(store::status_counter(ws, s));
    total += n;
    out += fmt::format("\"{}\":{},", core::to_string(s), n);
  }
  out += fmt::format("\"total\":{}}}", total);

  const auto count = c(store::duration_counter(ws, "count"));
  const auto sum = c(store::duration_counter(ws, "sum"));
  out += fmt::format(",\"processing_time_ms\":{{\"count\":{},\"average\":", count);
  if (count > 0) core::append_json_number(out, static_cast<double>(sum) / static_cast<double>(count));
  else out += "null";
  // p95: estimated from the duration histogram, interpolating linearly inside
  // the bucket that holds the 95th percentile (exact to within that bucket).
  out += ",\"p95\":";
  if (count == 0) {
    out += "null";
  } else {
    const double target = 0.95 * static_cast<double>(count);
    std::int64_t seen = 0, lower = 0;
    double p95 = static_cast<double>(store::duration_buckets_ms[std::size(store::duration_buckets_ms) - 1]);
    for (auto bound : store::duration_buckets_ms) {
      const auto in_bucket = c(store::duration_counter(ws, "le_" + std::to_string(bound)));
      if (in_bucket > 0 && static_cast<double>(seen + in_bucket) >= target) {
        const double share = (target - static_cast<double>(seen)) / static_cast<double>(in_bucket);
        p95 = static_cast<double>(lower) + share * static_cast<double>(bound - lower);
        break;
      }
      seen += in_bucket;
      lower = bound;
    }
    core::append_json_number(out, std::round(p95 * 10.0) / 10.0);
  }
  out += '}';
  const auto failed = c(store::status_counter(ws, core::item_status::failed));
  const auto partial = c(store::status_counter(ws, core::item_status::partial));
  out += fmt::format(",\"failed_pending\":{}", failed + partial);
  const auto counters = db.counters_of(ws);
  out += ",\"usage_last_30_days\":";
  out += render_usage({&counters}, core::utc_day(core::now_ms()));
  out += fmt::format(",\"queue\":{{\"queued\":{},\"processing\":{},\"paused\":{},\"delayed\":{}}}}}",
                     c(store::status_counter(ws, core::item_status::queued)),
                     c(store::status_counter(ws, core::item_status::processing)),
                     c(store::status_counter(ws, core::item_status::paused)), c(store::delayed_counter(ws)));
  return out;
}

std::string failed_item(const core::item& it, const core::pipeline& p, const core::item_state& s) {
  std::string out = "{\"id\":";
  core::append_json_string(out, it.id);
  out += ",\"owner\":";
  core::append_json_string(out, it.owner);
  out += ",\"workspace\":";
  core::append_json_string(out, it.workspace);
  out += ",\"status\":";
  core::append_json_string(out, core::to_string(s.status));
  out += ",\"completed_at\":";
  if (s.completed_at_ms > 0) core::append_json_string(out, core::iso8601(s.completed_at_ms));
  else out += "null";
  out += ",\"failed_stages\":[";
  bool first = true;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& st = s.stages[i];
    if (st.status != core::stage_status::failed) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"stage\":";
    core::append_json_string(out, p.stages()[i].name);
    out += fmt::format(",\"attempts\":{},\"dead_letter_open\":{},\"error\":", st.attempts, st.letter_open);
    core::append_json_string(out, st.error);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

void failed_items_page(api_context& ctx, http_request& req, const principal& who, const std::optional<std::string>& ws,
                       responder respond) {
  auto limit = parse_limit(req, 50, 200);
  if (!limit) return respond(error_response(limit.err()));
  auto cursor = cursor_of(req);
  if (!cursor) return respond(error_response(cursor.err()));
  const std::string before = std::move(cursor).value();
  // failed and partial, merged newest first.
  std::vector<std::string> ids;
  bool more = false;
  for (auto status : {core::item_status::failed, core::item_status::partial}) {
    store::listing_request l;
    if (!who.admin) l.owner = who.sub;  // no workspace: every workspace (admins only)
    l.workspace = ws;
    l.status = status;
    l.before = before;
    l.limit = limit.value();
    auto page = store::list_items(ctx.db, l);
    more = more || page.next.has_value();
    for (auto& [id, v] : page.entries) ids.push_back(std::move(id));
  }
  std::sort(ids.rbegin(), ids.rend());
  if (ids.size() > limit.value()) {
    ids.resize(limit.value());
    more = true;
  }
  std::string body = "{\"items\":[";
  bool first = true;
  for (const auto& id : ids) {
    auto v = load_visible(ctx, id, who);
    if (!v) continue;
    if (!first) body += ',';
    first = false;
    body += failed_item(v->item, *v->pipe, v->state);
  }
  body += "],\"next_cursor\":";
  if (more && !ids.empty()) body += '"' + encode_cursor(ids.back()) + '"';
  else body += "null";
  body += '}';
  respond(json_response(200, std::move(body)));
}

void add_workspace_routes(router& r, api_context& ctx) {
  r.add({"GET", "/api/v1/workspaces/{id}/ai/metrics", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_of(req, *who);
           if (!ws) return respond(error_response(ws.err()));
           respond(json_response(200, metrics(ctx.db, ws.value())));
         }});
  r.add({"GET", "/api/v1/workspaces/{id}/ai/failed-items", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_of(req, *who);
           if (!ws) return respond(error_response(ws.err()));
           failed_items_page(ctx, req, *who, ws.value(), std::move(respond));
         }});
  r.add({"POST", "/api/v1/workspaces/{id}/ai/retry-failed", access::user,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto ws = workspace_of(req, *who);
           if (!ws) return respond(error_response(ws.err()));
           if (auto b = ctx.bodies.parse_empty(req.body); !b) return respond(error_response(b.err()));
           std::optional<std::string> owner;
           if (!who->admin) owner = who->sub;
           guarded(ctx, req, *who, std::move(respond),
                   [&ctx, ws = ws.value(), owner](responder respond, const std::string&, const std::string&) {
                     ctx.gate.retry_failed(ws, owner, 10000, [respond = std::move(respond)](core::result<std::size_t> n) {
                       if (!n) return respond(error_response(n.err()));
                       respond(json_response(200, fmt::format("{{\"queued\":{}}}", n.value())));
                     });
                   });
         }});
}

}  // namespace pw::net
