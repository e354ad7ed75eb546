// The API document: docs/openapi.yaml is embedded in the binary and served
// as JSON; the router's own table is served to admins so that the two can be
// compared (tests/integration/it_endpoints.cpp does).
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "core/json.hpp"
#include "net/api.hpp"

namespace pw::embedded {
std::string_view openapi_yaml();
}

namespace pw::net {

namespace {

// A plain (unquoted) YAML scalar that JSON reads as a literal.
bool json_literal(const std::string& s) {
  if (s == "true" || s == "false" || s == "null") return true;
  if (s.empty()) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digits = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digits && s.back() != '.';
}

void to_json(const YAML::Node& n, std::string& out) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!first) out += ',';
        first = false;
        core::append_json_string(out, kv.first.as<std::string>());
        out += ':';
        to_json(kv.second, out);
      }
      out += '}';
      break;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      for (std::size_t i = 0; i < n.size(); ++i) {
        if (i) out += ',';
        to_json(n[i], out);
      }
      out += ']';
      break;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = n.Scalar();
      if (n.Tag() == "?" && json_literal(s)) out += s;  // "?": a plain scalar; quoted ones are "!"
      else core::append_json_string(out, s);
      break;
    }
    default: out += "null";
  }
}

const char* access_name(access a) {
  switch (a) {
    case access::open: return "open";
    case access::user: return "user";
    case access::admin: return "admin";
    case access::signed_url: return "user_or_signed_url";
  }
  return "user";
}

}  // namespace

const std::string& api_document_json() {
  // Converted once; a malformed document is a build defect, caught at start.
  static const std::string json = [] {
    std::string out;
    to_json(YAML::Load(std::string(embedded::openapi_yaml())), out);
    return out;
  }();
  return json;
}

void add_document_routes(router& r) {
  r.add({"GET", "/api/v1/openapi.json", access::open, [](http_request&, const principal*, responder respond) {
           respond(json_response(200, api_document_json()));
         }});
  r.add({"GET", "/api/v1/admin/routes", access::admin, [&r](http_request&, const principal*, responder respond) {
           std::string body = "{\"routes\":[";
           // The WebSocket upgrade is taken by the server before routing.
           body += R"({"method":"GET","path":"/api/v1/ws","access":"user"})";
           // Socket.IO (Engine.IO long-polling and WebSocket) is served beside the router.
           body += R"(,{"method":"GET","path":"/socket.io/","access":"open"})";
           body += R"(,{"method":"POST","path":"/socket.io/","access":"open"})";
           for (const auto& v : r.describe()) {
             body += ",{\"method\":";
             core::append_json_string(body, v.method);
             body += ",\"path\":";
             core::append_json_string(body, v.pattern);
             body += ",\"access\":\"";
             body += access_name(v.needs);
             body += "\"}";
           }
           body += "]}";
           respond(json_response(200, std::move(body)));
         }});
}

}  // namespace pw::net
