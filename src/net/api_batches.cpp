// The Batch API's admin routes (admin role only). The legacy routes keep
// the shapes of the documents this feature comes from:
//   GET  /api/admin/legacy/summary            {"ok":true,"summary":{pending_batching,...}} from counters
//   GET  /api/admin/legacy/requests?status=&limit=&cursor=
//                                             {"ok":true,"requests":[{id,sessionId,status,failedAt,error}],"nextCursor"}
//   POST /api/admin/legacy/requests/requeue   {"requestIds":[...]} -> {"ok":true,"requeuedCount","notFoundCount"}
// and the batches themselves:
//   GET  /api/v1/admin/batches?status=&limit=&cursor=   newest first, with usage_last_30_days of batch stages
//   GET  /api/v1/admin/batches/{id}                     one batch and its requests by status
#include <map>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/usage.hpp"
#include "net/api_common.hpp"
#include "net/usage_view.hpp"
#include "store/batch_records.hpp"

namespace pw::net {

namespace {

void append_time(std::string& out, std::int64_t ms) {
  if (ms > 0) core::append_json_string(out, core::iso8601(ms));
  else out += "null";
}

void append_opt(std::string& out, const std::string& s) {
  if (s.empty()) out += "null";
  else core::append_json_string(out, s);
}

// The legacy error shape: our error object, with "ok": false beside it.
http_response legacy_error(const core::error& e) {
  auto r = error_response(e);
  r.body = "{\"ok\":false," + r.body.substr(1);
  return r;
}

std::string valid_statuses() {
  std::string out;
  for (auto s : store::all_request_statuses) out += (out.empty() ? "" : ", ") + std::string(store::to_string(s));
  return out;
}

std::string batch_json(const store::batch_record& b) {
  std::string out = "{\"id\":";
  core::append_json_string(out, b.id);
  out += ",\"provider\":";
  core::append_json_string(out, b.provider);
  out += ",\"model\":";
  core::append_json_string(out, b.model);
  out += ",\"endpoint\":";
  core::append_json_string(out, b.endpoint);
  out += ",\"status\":";
  core::append_json_string(out, store::to_string(b.status));
  out += ",\"provider_batch_id\":";
  append_opt(out, b.provider_batch_id);
  out += ",\"input_file_id\":";
  append_opt(out, b.input_file_id);
  out += ",\"output_file_id\":";
  append_opt(out, b.output_file_id);
  out += ",\"error_file_id\":";
  append_opt(out, b.error_file_id);
  out += fmt::format(",\"requests\":{},\"bytes\":{}", b.requests, b.bytes);
  out += fmt::format(
      ",\"counts\":{{\"total\":{},\"provider_completed\":{},\"provider_failed\":{},\"mapped_complete\":{},"
      "\"mapped_failed\":{},\"requeued\":{},\"unmatched\":{}}}",
      b.requests, b.provider_completed, b.provider_failed, b.mapped_complete, b.mapped_failed, b.requeued, b.unmatched);
  out += fmt::format(",\"usage\":{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{}}}", b.prompt_tokens,
                     b.completion_tokens, b.prompt_tokens + b.completion_tokens);
  for (auto [name, ms] : {std::pair{"created_at", b.created_at_ms}, {"uploaded_at", b.uploaded_at_ms},
                          {"submitted_at", b.submitted_at_ms}, {"finished_at", b.finished_at_ms},
                          {"processed_at", b.processed_at_ms}, {"updated_at", b.updated_at_ms}}) {
    out += fmt::format(",\"{}\":", name);
    append_time(out, ms);
  }
  out += ",\"error\":";
  append_opt(out, b.error);
  out += '}';
  return out;
}

std::string legacy_request(const store::provider_request& r) {
  std::string out = "{\"id\":";
  core::append_json_string(out, r.id);
  out += ",\"sessionId\":";
  core::append_json_string(out, r.item_id);
  out += ",\"status\":";
  core::append_json_string(out, store::to_string(r.status));
  out += ",\"failedAt\":";
  append_time(out, r.status == store::request_status::processing_failed ? r.failed_at_ms : 0);
  out += ",\"error\":";
  append_opt(out, r.status == store::request_status::processing_failed ? r.error : std::string());
  out += '}';
  return out;
}

void summary(api_context& ctx, responder respond) {
  std::map<store::request_status, std::int64_t> n;
  for (const auto& [ws, pack] : ctx.db.counter_packs())
    for (auto s : store::all_request_statuses)
      n[s] += pack.get(store::counter_field(s));
  std::string body = "{\"ok\":true,\"summary\":{";
  bool first = true;
  for (auto s : store::all_request_statuses) {
    body += fmt::format("{}\"{}\":{}", first ? "" : ",", store::summary_name(s), n[s]);
    first = false;
  }
  body += "}}";
  respond(json_response(200, std::move(body)));
}

void legacy_requests(api_context& ctx, http_request& req, responder respond) {
  auto status_text = req.query_value("status");
  auto status = status_text ? store::parse_request_status(*status_text) : std::nullopt;
  if (!status)
    return respond(legacy_error(core::make_error(
        core::errc::validation_failed,
        fmt::format("'status' is {}; valid statuses: {}", status_text ? "not one of them" : "required", valid_statuses()),
        "{\"field\":\"status\",\"valid\":[\"PENDING_BATCHING\",\"BATCHING_IN_PROGRESS\",\"PROCESSING_COMPLETE\","
        "\"PROCESSING_FAILED\"]}")));
  auto limit = parse_limit(req, 50, 1000);
  if (!limit) return respond(legacy_error(limit.err()));
  auto cursor = cursor_of(req);
  if (!cursor) return respond(legacy_error(cursor.err()));
  auto page = store::requests_by_status(ctx.db, *status, cursor.value(), limit.value() + 1);
  std::string body = "{\"ok\":true,\"requests\":[";
  std::size_t shown = 0;
  std::string last;
  for (const auto& [id, value] : page) {
    if (shown == limit.value()) break;
    auto r = store::read_request(ctx.db, id);
    last = id;
    ++shown;
    if (!r) continue;
    if (body.back() != '[') body += ',';
    body += legacy_request(*r);
  }
  body += "],\"nextCursor\":";
  if (page.size() > limit.value()) core::append_json_string(body, encode_cursor(last));
  else body += "null";
  body += '}';
  respond(json_response(200, std::move(body)));
}

void list_batches(api_context& ctx, http_request& req, responder respond) {
  auto limit = parse_limit(req, 50, 500);
  if (!limit) return respond(error_response(limit.err()));
  auto cursor = cursor_of(req);
  if (!cursor) return respond(error_response(cursor.err()));
  std::optional<store::batch_status> status;
  if (auto s = req.query_value("status"); s && !s->empty()) {
    status = store::parse_batch_status(*s);
    if (!status)
      return respond(error_response(core::errc::validation_failed,
                                    "'status' must be one of PENDING, UPLOADING, VALIDATING, IN_PROGRESS, FINALIZING, "
                                    "COMPLETED, PROCESSED, FAILED, CANCELLING, CANCELLED, EXPIRED",
                                    "{\"field\":\"status\"}"));
  }
  std::string before = cursor.value();
  std::vector<store::batch_record> shown;
  bool more = false;
  // Filtered pages read on until they are full (batches are few).
  for (int round = 0; round < 100 && !more; ++round) {
    auto page = store::list_batches(ctx.db, before, 200);
    for (auto& b : page) {
      before = b.id;
      if (status && b.status != *status) continue;
      if (shown.size() == limit.value()) {
        more = true;
        break;
      }
      shown.push_back(std::move(b));
    }
    if (page.size() < 200) break;
  }
  std::string body = "{\"batches\":[";
  for (std::size_t i = 0; i < shown.size(); ++i) body += (i ? "," : "") + batch_json(shown[i]);
  body += "],\"next_cursor\":";
  if (more && !shown.empty()) core::append_json_string(body, encode_cursor(shown.back().id));
  else body += "null";
  const auto packs = ctx.db.counter_packs();
  std::vector<const store::counter_pack*> ptrs;
  for (const auto& [ws, p] : packs) ptrs.push_back(&p);
  body += ",\"usage_last_30_days\":";
  body += render_usage(ptrs, core::utc_day(core::now_ms()), "batch");
  body += '}';
  respond(json_response(200, std::move(body)));
}

void one_batch(api_context& ctx, http_request& req, responder respond) {
  auto id = req.param("id");
  std::optional<store::batch_record> b;
  if (!id.empty() && id.size() <= 64) b = store::read_batch(ctx.db, id);
  if (!b) return respond(error_response(core::errc::not_found, fmt::format("no batch '{}'", id)));
  std::map<std::string, std::int64_t> by_status;
  std::string first;
  std::size_t listed = 0;
  for (const auto& rid : store::read_members(ctx.db, b->id)) {
    auto r = store::read_request(ctx.db, rid);
    if (!r) continue;
    // A request requeued from this batch has left it.
    const auto status = r->batch_id == b->id ? std::string(store::to_string(r->status)) : std::string("REQUEUED");
    ++by_status[status];
    if (listed++ < 100) {
      if (!first.empty()) first += ',';
      auto line = legacy_request(*r);
      line.insert(line.size() - 1, ",\"stage\":" + core::to_json(boost::json::value(r->stage)) +
                                       ",\"workspace\":" + core::to_json(boost::json::value(r->workspace)));
      first += line;
    }
  }
  std::string body = batch_json(*b);
  body.pop_back();
  body += ",\"members\":{\"by_status\":{";
  bool comma = false;
  for (const auto& [s, n] : by_status) {
    body += fmt::format("{}\"{}\":{}", comma ? "," : "", s, n);
    comma = true;
  }
  body += "},\"first\":[" + first + "]}}";
  respond(json_response(200, std::move(body)));
}

}  // namespace

void add_batch_routes(router& r, api_context& ctx) {
  r.add({"GET", "/api/admin/legacy/summary", access::admin,
         [&ctx](http_request&, const principal*, responder respond) { summary(ctx, std::move(respond)); }});
  r.add({"GET", "/api/admin/legacy/requests", access::admin,
         [&ctx](http_request& req, const principal*, responder respond) { legacy_requests(ctx, req, std::move(respond)); }});
  r.add({"POST", "/api/admin/legacy/requests/requeue", access::admin,
         [&ctx](http_request& req, const principal* who, responder respond) {
           auto ids = ctx.bodies.parse_request_ids(req.body);
           if (!ids) return respond(legacy_error(ids.err()));
           guarded(ctx, req, *who, std::move(respond),
                   [&ctx, ids = std::move(ids).value()](responder respond, const std::string&, const std::string&) mutable {
                     ctx.gate.requeue_batch_requests(
                         std::move(ids), [respond = std::move(respond)](core::result<actors::gateway::requeue_counts> n) {
                           if (!n) return respond(legacy_error(n.err()));
                           respond(json_response(200, fmt::format("{{\"ok\":true,\"requeuedCount\":{},\"notFoundCount\":{}}}",
                                                                  n->requeued, n->not_found)));
                         });
                   });
         }});
  r.add({"GET", "/api/v1/admin/batches", access::admin,
         [&ctx](http_request& req, const principal*, responder respond) { list_batches(ctx, req, std::move(respond)); }});
  r.add({"GET", "/api/v1/admin/batches/{id}", access::admin,
         [&ctx](http_request& req, const principal*, responder respond) { one_batch(ctx, req, std::move(respond)); }});
}

}  // namespace pw::net
