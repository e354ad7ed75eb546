#include "cluster/etcd.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <httplib.h>

namespace pw::cluster {

namespace json = boost::json;

namespace {

constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

core::error failure(std::string msg) { return core::make_error(core::errc::unavailable, "etcd: " + std::move(msg)); }

std::int64_t number(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;  // proto3 JSON leaves zero values out
  if (it->value().is_string()) {
    try {
      return std::stoll(std::string(it->value().as_string()));
    } catch (...) {
      return 0;
    }
  }
  if (it->value().is_int64()) return it->value().as_int64();
  return 0;
}

std::string bytes(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return base64_decode(std::string_view(it->value().as_string())).value_or("");
}

etcd_kv read_kv(const json::object& o) {
  return etcd_kv{bytes(o, "key"), bytes(o, "value"), number(o, "create_revision"), number(o, "mod_revision"), number(o, "lease")};
}

std::int64_t header_revision(const json::object& o) {
  auto h = o.find("header");
  return h != o.end() && h->value().is_object() ? number(h->value().as_object(), "revision") : 0;
}

json::object op_json(const etcd_op& op) {
  json::object o;
  if (op.erase) {
    o["request_delete_range"] = json::object{{"key", base64_encode(op.key)}};
  } else {
    json::object put{{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
    if (op.lease) put["lease"] = std::to_string(op.lease);
    o["request_put"] = std::move(put);
  }
  return o;
}

struct endpoint {
  std::string host;
  int port = 2379;
};

endpoint parse_endpoint(const std::string& url) {
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  endpoint e;
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    e.host = rest;
  } else {
    e.host = rest.substr(0, colon);
    e.port = std::atoi(rest.c_str() + colon + 1);
  }
  return e;
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += b64[n >> 18];
    out += b64[(n >> 12) & 63];
    out += b64[(n >> 6) & 63];
    out += b64[n & 63];
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += b64[n >> 18];
    out += b64[(n >> 12) & 63];
    out += i + 1 < in.size() ? b64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::strchr(b64, c);
    if (!p || c == '\0') return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string etcd_prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto c = static_cast<unsigned char>(prefix.back());
    if (c != 0xff) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

etcd_client::etcd_client(std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {}

etcd_client::~etcd_client() = default;

core::result<std::string> etcd_client::post(const std::string& path, const std::string& body) {
  std::string last = "no endpoint";
  for (std::size_t tries = 0; tries < endpoints_.size(); ++tries) {
    const auto ep = parse_endpoint(endpoints_[next_ % endpoints_.size()]);
    httplib::Client cli(ep.host, ep.port);
    cli.set_connection_timeout(timeout_);
    cli.set_read_timeout(timeout_);
    cli.set_write_timeout(timeout_);
    auto res = cli.Post(path.c_str(), body, "application/json");
    if (res && res->status == 200) return res->body;
    last = res ? fmt::format("{} answered {}: {}", path, res->status, res->body.substr(0, 200))
               : fmt::format("{} at {}:{}: {}", path, ep.host, ep.port, httplib::to_string(res.error()));
    if (res && res->status >= 400 && res->status < 500) return failure(last);  // the request is wrong: another endpoint will not help
    ++next_;
  }
  return failure(last);
}

core::result<std::int64_t> etcd_client::grant(std::int64_t ttl_s) {
  auto r = post("/v3/lease/grant", json::serialize(json::object{{"TTL", std::to_string(ttl_s)}}));
  if (!r) return std::move(r).err();
  auto v = json::parse(*r).as_object();
  if (auto id = number(v, "ID"); id != 0) return id;
  return failure("lease grant answered no ID: " + *r);
}

core::result<std::int64_t> etcd_client::keepalive(std::int64_t lease) {
  auto r = post("/v3/lease/keepalive", json::serialize(json::object{{"ID", std::to_string(lease)}}));
  if (!r) return std::move(r).err();
  // {"result":{"header":{...},"ID":"..","TTL":"5"}}; TTL absent: the lease is gone.
  auto v = json::parse(*r);
  if (!v.is_object()) return failure("keepalive: not JSON");
  auto res = v.as_object().find("result");
  if (res == v.as_object().end() || !res->value().is_object()) return std::int64_t{0};
  return number(res->value().as_object(), "TTL");
}

core::result<void> etcd_client::revoke(std::int64_t lease) {
  auto r = post("/v3/lease/revoke", json::serialize(json::object{{"ID", std::to_string(lease)}}));
  if (!r) return std::move(r).err();
  return {};
}

core::result<etcd_range> etcd_client::range(const std::string& prefix) {
  auto r = post("/v3/kv/range", json::serialize(json::object{{"key", base64_encode(prefix)},
                                                              {"range_end", base64_encode(etcd_prefix_end(prefix))}}));
  if (!r) return std::move(r).err();
  auto v = json::parse(*r).as_object();
  etcd_range out;
  out.revision = header_revision(v);
  if (auto kvs = v.find("kvs"); kvs != v.end() && kvs->value().is_array())
    for (const auto& kv : kvs->value().as_array())
      if (kv.is_object()) out.kvs.push_back(read_kv(kv.as_object()));
  return out;
}

core::result<std::int64_t> etcd_client::put(const std::string& key, const std::string& value, std::int64_t lease) {
  json::object o{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease) o["lease"] = std::to_string(lease);
  auto r = post("/v3/kv/put", json::serialize(o));
  if (!r) return std::move(r).err();
  return header_revision(json::parse(*r).as_object());
}

core::result<std::int64_t> etcd_client::erase(const std::string& key) {
  auto r = post("/v3/kv/deleterange", json::serialize(json::object{{"key", base64_encode(key)}}));
  if (!r) return std::move(r).err();
  return header_revision(json::parse(*r).as_object());
}

core::result<etcd_txn_result> etcd_client::txn(const std::vector<etcd_compare>& compare, const std::vector<etcd_op>& success,
                                               const std::vector<etcd_op>& fail) {
  json::array cmp, ok, ko;
  for (const auto& c : compare) {
    json::object o{{"key", base64_encode(c.key)}, {"result", "EQUAL"}};
    switch (c.what) {
      case etcd_compare::target::create_revision:
        o["target"] = "CREATE";
        o["create_revision"] = std::to_string(c.number);
        break;
      case etcd_compare::target::value:
        o["target"] = "VALUE";
        o["value"] = base64_encode(c.value);
        break;
      case etcd_compare::target::lease:
        o["target"] = "LEASE";
        o["lease"] = std::to_string(c.number);
        break;
    }
    cmp.push_back(std::move(o));
  }
  for (const auto& op : success) ok.push_back(op_json(op));
  for (const auto& op : fail) ko.push_back(op_json(op));
  auto r = post("/v3/kv/txn", json::serialize(json::object{{"compare", cmp}, {"success", ok}, {"failure", ko}}));
  if (!r) return std::move(r).err();
  auto v = json::parse(*r).as_object();
  etcd_txn_result out;
  out.revision = header_revision(v);
  if (auto s = v.find("succeeded"); s != v.end() && s->value().is_bool()) out.succeeded = s->value().as_bool();
  return out;
}

core::result<void> etcd_client::watch(const std::string& prefix, std::int64_t start_revision,
                                      const std::function<void(std::int64_t, const std::vector<etcd_event>&)>& on_events) {
  if (endpoints_.empty()) return failure("no endpoint");
  const auto ep = parse_endpoint(endpoints_[next_ % endpoints_.size()]);
  httplib::Client cli(ep.host, ep.port);
  cli.set_connection_timeout(timeout_);
  cli.set_read_timeout(std::chrono::hours(24));
  {
    std::lock_guard lock(watch_mu_);
    if (stop_) return failure("watch stopped");
    watch_client_ = &cli;
  }
  std::string buffer;
  bool created = false;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v3/watch";
  req.set_header("Content-Type", "application/json");
  req.body = json::serialize(json::object{
      {"create_request", json::object{{"key", base64_encode(prefix)},
                                      {"range_end", base64_encode(etcd_prefix_end(prefix))},
                                      {"start_revision", std::to_string(start_revision)}}}});
  // Each message of the stream is one JSON object; they are split by
  // matching braces (strings hold only base64 and plain words).
  req.content_receiver = [&](const char* data, std::size_t len, std::uint64_t, std::uint64_t) {
    buffer.append(data, len);
    std::size_t start = 0, depth = 0;
    for (std::size_t i = 0; i < buffer.size(); ++i) {
      if (buffer[i] == '{') {
        if (depth++ == 0) start = i;
      } else if (buffer[i] == '}' && depth > 0 && --depth == 0) {
        boost::system::error_code ec;
        auto v = json::parse(std::string_view(buffer).substr(start, i - start + 1), ec);
        if (!ec && v.is_object()) {
          auto res = v.as_object().find("result");
          if (res != v.as_object().end() && res->value().is_object()) {
            const auto& r = res->value().as_object();
            created = true;
            std::vector<etcd_event> events;
            if (auto ev = r.find("events"); ev != r.end() && ev->value().is_array())
              for (const auto& e : ev->value().as_array()) {
                if (!e.is_object()) continue;
                const auto& eo = e.as_object();
                etcd_event out;
                if (auto t = eo.find("type"); t != eo.end() && t->value().is_string()) out.deleted = t->value().as_string() == "DELETE";
                if (auto kv = eo.find("kv"); kv != eo.end() && kv->value().is_object()) out.kv = read_kv(kv->value().as_object());
                events.push_back(std::move(out));
              }
            on_events(header_revision(r), events);
          }
        }
        buffer.erase(0, i + 1);
        i = static_cast<std::size_t>(-1);
      }
    }
    return !stop_.load();
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  cli.send(req, res, err);
  {
    std::lock_guard lock(watch_mu_);
    watch_client_ = nullptr;
  }
  if (!created) ++next_;
  if (stop_) return failure("watch stopped");
  return failure(fmt::format("watch ended ({})", httplib::to_string(err)));
}

void etcd_client::stop_watch() {
  std::lock_guard lock(watch_mu_);
  stop_ = true;
  if (watch_client_) static_cast<httplib::Client*>(watch_client_)->stop();
}

}  // namespace pw::cluster
