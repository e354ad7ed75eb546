// `pipewright watch ID`: follows one item live over the WebSocket and prints
// each stage's progress until the item finishes. The socket is opened before
// the status is read, so no transition falls between the two.
#include <iostream>
#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"

namespace pw::cli {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

std::string field(const boost::json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return {};
}

bool finished(const std::string& status) {
  return status == "completed" || status == "partial" || status == "failed" || status == "cancelled";
}

int exit_code(const std::string& status) { return status == "completed" ? 0 : 1; }

// Prints a stage line once per (stage, status, attempt).
class printer {
 public:
  void stage(const std::string& name, const std::string& status, const std::string& attempt, const std::string& error) {
    if (!seen_.insert(name + '/' + status + '/' + attempt).second) return;
    std::cout << fmt::format("  {:<12} {:<11}", name, status);
    if (!error.empty()) std::cout << " " << error;  // the error names its attempt
    else if (!attempt.empty() && attempt != "0") std::cout << " attempt " << attempt;
    std::cout << std::endl;
  }

 private:
  std::set<std::string> seen_;
};

}  // namespace

int watch(const item_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;

  boost::asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
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

  client c(*e);
  auto a = c.get("/api/v1/items/" + o.id + "/processing-status");
  if (!a.ok()) {
    std::cerr << "error: " << a.explain() << '\n';
    return a.status == 0 ? 2 : 1;
  }
  printer out;
  const auto& s = a.json.as_object();
  std::string status = field(s, "status");
  std::cout << o.id << "  " << status << std::endl;
  for (const auto& [name, st] : s.at("stages").as_object()) {
    const auto& v = st.as_object();
    if (field(v, "status") != "pending") out.stage(std::string(name), field(v, "status"), field(v, "attempts"), field(v, "error"));
  }

  while (!finished(status)) {
    beast::flat_buffer buf;
    beast::error_code ec;
    ws.read(buf, ec);
    if (ec) {
      std::cerr << "error: the event socket closed (" << ec.message() << "); run `pipewright status " << o.id
                << "` to see where the item is\n";
      return 2;
    }
    boost::system::error_code jec;
    auto frame = boost::json::parse(beast::buffers_to_string(buf.data()), jec);
    if (jec || !frame.is_object()) continue;
    const auto& f = frame.as_object();
    if (field(f, "item_id") != o.id) continue;
    const auto type = field(f, "type");
    if (type == "stage.updated") {
      out.stage(field(f, "stage"), field(f, "status"), field(f, "attempt"), field(f, "error"));
    } else if (type == "item.completed" || type == "item.failed" || type == "item.updated") {
      if (auto st = field(f, "status"); !st.empty() && st != status) {
        status = st;
        std::cout << o.id << "  " << status;
        if (auto d = field(f, "duration_ms"); !d.empty()) std::cout << "  " << d << " ms";
        std::cout << std::endl;
      }
    }
  }
  beast::error_code ignored;
  ws.close(websocket::close_code::normal, ignored);
  return exit_code(status);
}

}  // namespace pw::cli
