// `pipewright asset submit FILE --category C [--workspace W] [--watch]`:
// uploads a photo (POST /api/v1/assets, multipart/form-data) and prints the
// asset's id; with --watch it waits on the event socket for the asset's
// asset_processed and prints brand, model and their confidences. The socket
// is opened before the upload, so the event cannot slip between the two.
// Exit codes: 0 active, 1 refused or failed, 2 could not run.
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"

namespace pw::cli {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

std::string field(const boost::json::value* v) {
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_double()) return fmt::format("{:.2f}", v->as_double());
  return boost::json::serialize(*v);
}

void print_processed(const boost::json::object& f) {
  const auto status = field(f.if_contains("status"));
  std::cout << field(f.if_contains("assetId")) << "  " << status << std::endl;
  if (status != "active") {
    std::cout << "  error       " << field(f.if_contains("error")) << std::endl;
    return;
  }
  const auto& m = f.at("metadata").as_object();
  const auto* conf = m.if_contains("confidence");
  auto c = [&](const char* k) { return conf && conf->is_object() ? field(conf->as_object().if_contains(k)) : "-"; };
  std::cout << fmt::format("  brand       {} (confidence {})\n  model       {} (confidence {})\n", field(m.if_contains("brand")),
                           c("brand"), field(m.if_contains("model")), c("model"));
  std::cout << fmt::format("  image       {} {} x {}\n", field(m.if_contains("format")), field(m.if_contains("width")),
                           field(m.if_contains("height")));
  if (auto* d = m.if_contains("duplicate_of"); d && d->is_string())
    std::cout << "  duplicate   of " << d->as_string() << std::endl;
}

}  // namespace

int asset_submit(const asset_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << o.file << '\n';
    return 2;
  }
  std::stringstream bytes;
  bytes << in.rdbuf();

  boost::asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  if (o.watch) {
    try {
      tcp::resolver resolver(ioc);
      boost::asio::connect(ws.next_layer(), resolver.resolve(e->host, std::to_string(e->port)));
      ws.set_option(websocket::stream_base::decorator(
          [token = e->token](websocket::request_type& req) { req.set(beast::http::field::authorization, "Bearer " + token); }));
      ws.handshake(e->host + ":" + std::to_string(e->port), "/api/v1/ws");
    } catch (const std::exception& ex) {
      std::cerr << "error: cannot open the event socket at " << e->host << ':' << e->port << ": " << ex.what() << '\n';
      return 2;
    }
  }

  std::map<std::string, std::string> fields{{"category", o.category}};
  if (o.workspace) fields["workspace"] = *o.workspace;
  if (o.title) fields["title"] = *o.title;
  std::map<std::string, std::string> headers;
  if (o.idempotency_key) headers["Idempotency-Key"] = *o.idempotency_key;
  const auto slash = o.file.find_last_of('/');
  client c(*e);
  auto a = c.post_form("/api/v1/assets", fields,
                       {"image", slash == std::string::npos ? o.file : o.file.substr(slash + 1), "application/octet-stream", bytes.str()},
                       headers);
  if (!a.ok()) {
    std::cerr << "error: " << a.explain() << '\n';
    return a.status == 0 ? 2 : 1;
  }
  const auto id = field(a.json.as_object().if_contains("assetId"));
  if (o.client.json && !o.watch) std::cout << a.body << '\n';
  else std::cout << id << "  processing" << std::endl;
  if (!o.watch) return 0;

  for (;;) {
    beast::flat_buffer buf;
    beast::error_code ec;
    ws.read(buf, ec);
    if (ec) {
      std::cerr << "error: the event socket closed (" << ec.message() << "); GET /api/v1/assets/" << id
                << " shows where the asset is\n";
      return 2;
    }
    boost::system::error_code jec;
    auto frame = boost::json::parse(beast::buffers_to_string(buf.data()), jec);
    if (jec || !frame.is_object()) continue;
    const auto& f = frame.as_object();
    if (field(f.if_contains("type")) != "asset_processed" || field(f.if_contains("assetId")) != id) continue;
    if (o.client.json) std::cout << boost::json::serialize(f) << '\n';
    else print_processed(f);
    beast::error_code ignored;
    ws.close(websocket::close_code::normal, ignored);
    return field(f.if_contains("status")) == "active" ? 0 : 1;
  }
}

}  // namespace pw::cli
