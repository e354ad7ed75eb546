// A stand-in for the BullMQ anchor (../shared/anchors/bullmq, "API
// contract"), so ctest can check pw-loadgen's `--api anchor` side without
// Node and Redis: the same routes, bodies and WebSocket rooms, items complete
// at once. Faults on request prove the load generator's checks catch them:
//
//   fake_anchor --port-file F [--duplicate N] [--misdeliver N] [--drop N] [--lifetime S]
//
// every Nth completion is sent twice / also to another user's room / not at
// all. Listens on 127.0.0.1 (port 0, written to F), exits after S seconds.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

struct faults {
  long duplicate = 0, misdeliver = 0, drop = 0;
};

class socket_session : public std::enable_shared_from_this<socket_session> {
 public:
  explicit socket_session(websocket::stream<beast::tcp_stream> ws) : ws_(std::move(ws)) {}
  websocket::stream<beast::tcp_stream>& ws() { return ws_; }

  void send(std::shared_ptr<const std::string> frame) {
    outbox_.push_back(std::move(frame));
    if (outbox_.size() == 1) asio::co_spawn(ws_.get_executor(), drain(shared_from_this()), asio::detached);
  }

 private:
  static awaitable<void> drain(std::shared_ptr<socket_session> self) {
    while (!self->outbox_.empty()) {
      beast::error_code ec;
      co_await self->ws_.async_write(asio::buffer(*self->outbox_.front()), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      self->outbox_.pop_front();
    }
  }
  websocket::stream<beast::tcp_stream> ws_;
  std::deque<std::shared_ptr<const std::string>> outbox_;
};

struct item_record {
  std::string user, workspace;
};

class anchor {
 public:
  explicit anchor(faults f) : faults_(f) {}

  awaitable<void> serve(tcp::socket s) {
    beast::tcp_stream stream(std::move(s));
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      co_await http::async_read(stream, buf, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (websocket::is_upgrade(req)) co_return co_await join_room(std::move(stream), std::move(req));
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      std::string completed_id;
      answer(req, res, completed_id);
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (!completed_id.empty()) complete(completed_id);  // like the anchor, possibly before the client read the 201
      if (!req.keep_alive()) co_return;
    }
  }

 private:
  void answer(const http::request<http::string_body>& req, http::response<http::string_body>& res,
              std::string& completed_id) {
    const std::string target(req.target());
    if (req.method() == http::verb::post && target == "/api/v1/items") {
      boost::system::error_code ec;
      auto v = json::parse(req.body(), ec);
      if (ec || !v.is_object()) return error(res, "invalid_json");
      const auto& o = v.as_object();
      auto text_of = [&](const char* k) -> std::string {
        auto it = o.find(k);
        return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
      };
      auto text = o.find("text");
      if (text_of("user").empty() || text_of("workspace").empty() || text == o.end() || !text->value().is_string())
        return error(res, "invalid_item");
      const auto id = std::to_string(++next_id_);
      items_[id] = item_record{text_of("user"), text_of("workspace")};
      res.result(http::status::created);
      res.body() = json::serialize(json::object{{"id", id}, {"status", "queued"}});
      completed_id = id;
      return;
    }
    if (req.method() == http::verb::get && target.rfind("/api/v1/items/", 0) == 0) {
      auto it = items_.find(target.substr(14));
      if (it == items_.end()) {
        res.result(http::status::not_found);
        res.body() = R"({"error":"not_found"})";
        return;
      }
      res.body() = json::serialize(json::object{{"id", it->first},
                                                {"status", "completed"},
                                                {"state", "completed"},
                                                {"user", it->second.user},
                                                {"workspace", it->second.workspace},
                                                {"attempts", 1},
                                                {"progress", nullptr},
                                                {"result", result_of(it->second)},
                                                {"error", nullptr}});
      return;
    }
    if (req.method() == http::verb::get && target == "/health") {
      res.body() = R"({"ok":true})";
      return;
    }
    res.result(http::status::not_found);
    res.body() = R"({"error":"not_found"})";
  }

  static void error(http::response<http::string_body>& res, const char* code) {
    res.result(http::status::bad_request);
    res.body() = json::serialize(json::object{{"error", code}});
  }

  static json::object result_of(const item_record& r) {
    return {{"user", r.user}, {"workspace", r.workspace}, {"label", "bug"},        {"confidence", 0.29},
            {"sentiment", "negative"}, {"urgency", "high"}, {"duplicateOf", nullptr}, {"priority", 85},
            {"bucket", "P1"}};
  }

  awaitable<void> join_room(beast::tcp_stream stream, http::request<http::string_body> req) {
    const std::string target(req.target());
    const auto q = target.find("user=");
    std::string user = q == std::string::npos ? "" : target.substr(q + 5);
    if (auto amp = user.find('&'); amp != std::string::npos) user.resize(amp);
    if (user.empty()) {
      http::response<http::string_body> res{http::status::bad_request, req.version()};
      res.body() = R"({"error":"user required"})";
      res.prepare_payload();
      beast::error_code ec;
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    auto session = std::make_shared<socket_session>(websocket::stream<beast::tcp_stream>(std::move(stream)));
    beast::error_code ec;
    co_await session->ws().async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    rooms_[user].insert(session);
    beast::flat_buffer buf;
    while (!ec) co_await session->ws().async_read(buf, asio::redirect_error(asio::use_awaitable, ec));
    rooms_[user].erase(session);
  }

  void complete(const std::string& id) {
    const auto& rec = items_.at(id);
    const long n = ++completions_;
    if (faults_.drop && n % faults_.drop == 0) return;
    auto frame = std::make_shared<const std::string>(
        json::serialize(json::object{{"type", "item.completed"}, {"id", id}, {"result", result_of(rec)}}));
    send_to(rec.user, frame);
    if (faults_.duplicate && n % faults_.duplicate == 0) send_to(rec.user, frame);
    if (faults_.misdeliver && n % faults_.misdeliver == 0)
      for (auto& [user, sessions] : rooms_)
        if (user != rec.user && !sessions.empty()) {
          send_to(user, frame);
          break;
        }
  }

  void send_to(const std::string& user, const std::shared_ptr<const std::string>& frame) {
    auto it = rooms_.find(user);
    if (it == rooms_.end()) return;
    for (const auto& s : it->second) s->send(frame);
  }

  faults faults_;
  long next_id_ = 0, completions_ = 0;
  std::unordered_map<std::string, item_record> items_;
  std::map<std::string, std::set<std::shared_ptr<socket_session>>> rooms_;
};

awaitable<void> accept_loop(tcp::acceptor& acceptor, anchor& a) {
  for (;;) {
    beast::error_code ec;
    auto s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    s.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), a.serve(std::move(s)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  faults f;
  std::string port_file;
  long lifetime_s = 120;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port-file") port_file = v;
    else if (k == "--duplicate") f.duplicate = std::atol(v);
    else if (k == "--misdeliver") f.misdeliver = std::atol(v);
    else if (k == "--drop") f.drop = std::atol(v);
    else if (k == "--lifetime") lifetime_s = std::atol(v);
    else {
      std::fprintf(stderr, "fake_anchor: unknown option %s\n", k.c_str());
      return 1;
    }
  }
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  anchor a(f);
  asio::co_spawn(ioc, accept_loop(acceptor, a), asio::detached);
  asio::steady_timer lifetime(ioc, std::chrono::seconds(lifetime_s));
  lifetime.async_wait([&](beast::error_code) { ioc.stop(); });
  {
    const auto tmp = port_file + ".tmp";
    std::ofstream(tmp) << acceptor.local_endpoint().port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  ioc.run();
  return 0;
}
