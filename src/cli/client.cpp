#include "cli/client.hpp"

#include <cstdlib>
#include <iostream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <httplib.h>

namespace pw::cli {

std::optional<endpoint> resolve(const client_options& o) {
  endpoint e;
  std::string url = o.url.value_or("");
  if (url.empty())
    if (const char* env = std::getenv("PIPEWRIGHT_URL")) url = env;
  if (url.empty()) url = "http://127.0.0.1:8080";
  if (url.rfind("http://", 0) != 0) {
    std::cerr << "error: --url must start with http:// (got " << url << ")\n";
    return std::nullopt;
  }
  auto rest = url.substr(7);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  auto colon = rest.rfind(':');
  e.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      auto port = std::stoul(rest.substr(colon + 1));
      if (port == 0 || port > 65535) throw std::out_of_range("port");
      e.port = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
      std::cerr << "error: --url has a bad port (" << url << ")\n";
      return std::nullopt;
    }
  }
  e.token = o.token.value_or("");
  if (e.token.empty())
    if (const char* env = std::getenv("PIPEWRIGHT_TOKEN")) e.token = env;
  if (e.token.empty()) {
    std::cerr << "error: no token: pass --token or set PIPEWRIGHT_TOKEN (make one with `pipewright token --sub USER`)\n";
    return std::nullopt;
  }
  return e;
}

std::string answer::explain() const {
  if (status == 0) return body;
  if (json.is_object())
    if (auto* err = json.as_object().if_contains("error"); err && err->is_object()) {
      const auto& o = err->as_object();
      auto str = [&](const char* k) {
        auto* v = o.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      return fmt::format("{} {}: {}", status, str("code"), str("message"));
    }
  return fmt::format("{} {}", status, body.substr(0, 200));
}

struct client::impl {
  httplib::Client http;
  explicit impl(const endpoint& e) : http(e.host, e.port) {
    http.set_keep_alive(true);
    http.set_tcp_nodelay(true);  // headers and body go in separate writes: no Nagle delay between them
    http.set_connection_timeout(5);
    http.set_read_timeout(30);
  }
};

client::client(endpoint e) : e_(std::move(e)), impl_(std::make_unique<impl>(e_)) {}
client::~client() = default;

namespace {

answer convert(const httplib::Result& r, const endpoint& e) {
  answer a;
  if (!r) {
    a.body = fmt::format("cannot reach http://{}:{} ({})", e.host, e.port, httplib::to_string(r.error()));
    return a;
  }
  a.status = r->status;
  a.body = r->body;
  boost::system::error_code ec;
  auto v = boost::json::parse(a.body, ec);
  if (!ec) a.json = std::move(v);
  return a;
}

}  // namespace

answer client::get(const std::string& path) {
  return convert(impl_->http.Get(path, {{"Authorization", "Bearer " + e_.token}}), e_);
}

answer client::post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers) {
  httplib::Headers h{{"Authorization", "Bearer " + e_.token}};
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return convert(impl_->http.Post(path, h, body.empty() ? std::string("{}") : body, "application/json"), e_);
}

}  // namespace pw::cli

namespace pw::cli {

answer client::post_form(const std::string& path, const std::map<std::string, std::string>& fields, const file_part& file,
                         const std::map<std::string, std::string>& headers) {
  httplib::Headers h{{"Authorization", "Bearer " + e_.token}};
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::MultipartFormDataItems items;
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  items.push_back({file.field, file.content, file.filename, file.content_type});
  return convert(impl_->http.Post(path, h, items), e_);
}

}  // namespace pw::cli
