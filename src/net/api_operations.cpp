// The operators' routes: GET /metrics (Prometheus text exposition 0.0.4)
// and GET /api/v1/admin/actors (live actor metrics as JSON), both for
// admin tokens only; and the dashboard's static files, which hold no data
// (everything it shows comes from the admin routes and the admins room).
#include <string_view>
#include <utility>

#include "net/api.hpp"

namespace pw::embedded_web {
std::string_view index_html();
std::string_view app_js();
std::string_view dom_js();
std::string_view chart_js();
std::string_view style_css();
}  // namespace pw::embedded_web

namespace pw::net {

namespace {

http_response static_file(std::string_view body, std::string type) {
  http_response r;
  r.status = 200;
  r.body = std::string(body);
  r.content_type = std::move(type);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  // Only this node's own scripts, styles and connections; no framing.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'");
  return r;
}

}  // namespace

void add_operations_routes(router& r, api_context& ctx) {
  r.add({"GET", "/metrics", access::admin, [&ctx](http_request&, const principal*, responder respond) {
           http_response res;
           res.status = 200;
           res.body = ctx.ops.metrics_text();
           res.content_type = "text/plain; version=0.0.4; charset=utf-8";
           respond(std::move(res));
         }});
  r.add({"GET", "/api/v1/admin/actors", access::admin, [&ctx](http_request&, const principal*, responder respond) {
           respond(json_response(200, ctx.ops.ops_report()));
         }});
}

void add_dashboard_routes(router& r) {
  r.add({"GET", "/", access::open, [](http_request&, const principal*, responder respond) {
           respond(static_file(embedded_web::index_html(), "text/html; charset=utf-8"));
         }});
  r.add({"GET", "/ui/{file}", access::open, [](http_request& req, const principal*, responder respond) {
           const auto file = req.param("file");
           const auto js = [&](std::string_view body) { respond(static_file(body, "text/javascript; charset=utf-8")); };
           if (file == "app.js") return js(embedded_web::app_js());
           if (file == "dom.js") return js(embedded_web::dom_js());
           if (file == "chart.js") return js(embedded_web::chart_js());
           if (file == "style.css") return respond(static_file(embedded_web::style_css(), "text/css; charset=utf-8"));
           respond(error_response(core::errc::not_found, "no dashboard file '" + std::string(file) + "'"));
         }});
}

}  // namespace pw::net
