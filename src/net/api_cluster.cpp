#include "net/api_cluster.hpp"

#include <boost/json.hpp>

namespace pw::net {

namespace json = boost::json;

void add_cluster_routes(router& routes, cluster_admin admin) {
  auto a = std::make_shared<cluster_admin>(std::move(admin));
  routes.add({"GET", "/api/v1/admin/cluster", access::admin,
              [a](http_request&, const principal*, responder respond) { respond(json_response(200, a->status_json())); }});
  routes.add({"POST", "/api/v1/admin/cluster/drain", access::admin, [a](http_request& req, const principal*, responder respond) {
                boost::system::error_code ec;
                auto v = json::parse(req.body, ec);
                if (ec || !v.is_object())
                  return respond(error_response(core::errc::validation_failed, "the body must be a JSON object"));
                const auto& o = v.as_object();
                auto* node = o.if_contains("node");
                if (!node || !node->is_string())
                  return respond(error_response(core::errc::validation_failed, "'node' must be a string", "{\"field\":\"node\"}"));
                bool drain = true;
                if (auto* d = o.if_contains("drain")) {
                  if (!d->is_bool())
                    return respond(error_response(core::errc::validation_failed, "'drain' must be true or false", "{\"field\":\"drain\"}"));
                  drain = d->as_bool();
                }
                const std::string name(node->as_string());
                auto r = a->drain(name, drain);
                if (!r) return respond(error_response(r.err()));
                json::object out{{"node", name}, {"drain", drain}};
                respond(json_response(200, json::serialize(out)));
              }});
}

}  // namespace pw::net
