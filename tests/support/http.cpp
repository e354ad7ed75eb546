#include "http.hpp"

#include <algorithm>
#include <chrono>

#include <boost/json/parse.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pwtest {

boost::json::value response::json() const { return boost::json::parse(body); }

std::string response::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return {};
}

std::string response::error_code() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return {};
  auto* c = e->as_object().if_contains("code");
  return c && c->is_string() ? std::string(c->as_string()) : std::string();
}

struct http::impl {
  explicit impl(std::uint16_t port) : client("127.0.0.1", port) {
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(30, 0);
    client.set_write_timeout(30, 0);
  }
  httplib::Client client;
};

http::http(std::uint16_t port) : impl_(std::make_unique<impl>(port)) {}
http::~http() = default;
http::http(http&&) noexcept = default;

namespace {

response convert(const httplib::Result& r) {
  response out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}

httplib::Headers auth_headers(const std::string& token) {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}

}  // namespace

response http::get(const std::string& path, const std::string& token) {
  return convert(impl_->client.Get(path, auth_headers(token)));
}

response http::post(const std::string& path, const std::string& body, const std::string& token,
                    const std::string& content_type, const std::map<std::string, std::string>& headers) {
  auto h = auth_headers(token);
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return convert(impl_->client.Post(path, h, body, content_type));
}

response http::send(const std::string& method, const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.body = body;
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  return convert(impl_->client.send(req));
}

raw_connection::raw_connection(std::uint16_t port, const std::string& source) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

raw_connection::~raw_connection() {
  if (fd_ >= 0) close(fd_);
}

bool raw_connection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

std::string raw_connection::receive(int timeout_ms) {
  std::string out;
  char buf[4096];
  pollfd p{fd_, POLLIN, 0};
  while (fd_ >= 0 && !eof_ && poll(&p, 1, timeout_ms) > 0) {
    auto n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool raw_connection::closed_within(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_ && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    receive(static_cast<int>(std::max<std::int64_t>(1, left.count())));
  }
  return eof_;
}

response http::post_form(const std::string& path, const std::string& token, const std::map<std::string, std::string>& fields,
                         const std::vector<form_file>& files, const std::map<std::string, std::string>& headers) {
  auto h = auth_headers(token);
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::MultipartFormDataItems items;
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  for (const auto& f : files) items.push_back({f.name, f.content, f.filename, f.content_type});
  return convert(impl_->client.Post(path, h, items));
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {};
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    auto n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace pwtest
