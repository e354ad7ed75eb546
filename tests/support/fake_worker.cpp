// A stand-in for the external asset analysis worker (the seed's AI worker),
// started by tests on 127.0.0.1. It speaks the worker's protocol: POST
// /analyze {assetId, imageUrl, category, ...} -> {brand, model, confidence}.
// For each call it fetches imageUrl (the node's signed URL: no token) and
// answers the brand and model labelled for that image (by SHA-256 of the
// bytes, from --labels). Faults on request:
//
//   fake_worker --port-file F [--labels tests/data/images] [--fail-rate R --seed N]
//               [--fail-first N] [--faults 503,429,reset,timeout,500,422] [--status S]
//               [--timeout-ms T] [--delay-ms D] [--lifetime S]
//
// --fail-rate: that share of calls fail (faults taken in turn from --faults);
// --fail-first: the first N calls of each asset fail; --status: every call
// answers S. A "reset" closes the connection with RST, a "timeout" answers
// after T ms (default 5000). GET /stats tells what happened, per asset.
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

std::string sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

struct label {
  std::string brand, model;
};

struct options {
  std::string port_file, labels_dir;
  double fail_rate = 0;
  int fail_first = 0;
  std::vector<std::string> faults{"503"};
  int status = 0;
  int timeout_ms = 5000;
  int delay_ms = 0;  // every answer waits this long
  int lifetime_s = 600;
  unsigned seed = 1;
};

struct state {
  options opt;
  std::map<std::string, label> by_sha;
  std::mutex mu;
  std::mt19937 rng;
  long requests = 0, faults = 0, ok = 0, fetched = 0, fetch_failed = 0, fault_turn = 0;
  std::map<std::string, std::vector<std::string>> outcomes;  // asset -> what each call got
  std::vector<std::string> urls;
};

// GET an http://127.0.0.1:PORT/... URL; (status, body).
std::pair<int, std::string> fetch(const std::string& url) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return {0, "not http"};
  auto rest = url.substr(prefix.size());
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  auto target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  try {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address(hostport.substr(0, colon)),
                            static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))));
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, hostport);
    http::write(s, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> p;
    p.body_limit(64 << 20);
    http::read(s, buf, p);
    return {static_cast<int>(p.get().result_int()), p.get().body()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

void reply(tcp::socket& s, unsigned version, int status, const std::string& body,
           std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  for (auto& [k, v] : headers) res.set(k, v);
  res.body() = body;
  res.prepare_payload();
  beast::error_code ec;
  http::write(s, res, ec);
}

std::string stats(state& st) {
  std::lock_guard lock(st.mu);
  json::object o{{"requests", st.requests}, {"faults", st.faults}, {"ok", st.ok}, {"fetched", st.fetched},
                 {"fetch_failed", st.fetch_failed}};
  json::object per;
  for (auto& [id, v] : st.outcomes) {
    json::array a;
    for (auto& x : v) a.push_back(json::value(x));
    per[id] = std::move(a);
  }
  o["assets"] = std::move(per);
  json::array urls;
  for (auto& u : st.urls) urls.push_back(json::value(u));
  o["urls"] = std::move(urls);
  return json::serialize(o);
}

void serve(tcp::socket s, state& st) {
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(s, buf, req, ec);
    if (ec) return;
    if (req.method() == http::verb::get && req.target() == "/stats") {
      reply(s, req.version(), 200, stats(st));
      continue;
    }
    if (req.method() != http::verb::post || req.target() != "/analyze") {
      reply(s, req.version(), 404, R"({"error":"no such route"})");
      continue;
    }
    json::object body;
    try {
      body = json::parse(req.body()).as_object();
    } catch (...) {
      reply(s, req.version(), 400, R"({"error":"not JSON"})");
      continue;
    }
    auto str = [&](const char* k) {
      auto* v = body.if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    const auto asset = str("assetId"), url = str("imageUrl");
    if (st.opt.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(st.opt.delay_ms));
    std::string fault;
    {
      std::lock_guard lock(st.mu);
      ++st.requests;
      const auto calls = st.outcomes[asset].size();
      const bool fail = st.opt.status != 0 || static_cast<int>(calls) < st.opt.fail_first ||
                        std::uniform_real_distribution<double>(0, 1)(st.rng) < st.opt.fail_rate;
      if (fail) {
        fault = st.opt.status != 0 ? std::to_string(st.opt.status)
                                   : st.opt.faults[static_cast<std::size_t>(st.fault_turn++) % st.opt.faults.size()];
        ++st.faults;
      }
      st.outcomes[asset].push_back(fault.empty() ? "ok" : fault);
      st.urls.push_back(url);
      if (st.urls.size() > 20) st.urls.erase(st.urls.begin());
    }
    if (fault == "reset") {
      beast::error_code ignored;
      s.set_option(asio::socket_base::linger(true, 0), ignored);
      s.close(ignored);
      return;
    }
    if (fault == "timeout") {
      std::this_thread::sleep_for(std::chrono::milliseconds(st.opt.timeout_ms));
      reply(s, req.version(), 200, R"({"brand":null,"model":null})");
      continue;
    }
    if (!fault.empty()) {
      const int status = std::stoi(fault);
      std::vector<std::pair<std::string, std::string>> h;
      if (status == 429) h.emplace_back("Retry-After", "1");
      reply(s, req.version(), status, "{\"error\":\"fake worker fault " + fault + "\"}", h);
      continue;
    }
    auto [code, image] = fetch(url);
    label found;
    {
      std::lock_guard lock(st.mu);
      if (code == 200) {
        ++st.fetched;
        if (auto it = st.by_sha.find(sha256(image)); it != st.by_sha.end()) found = it->second;
      } else {
        ++st.fetch_failed;
        st.outcomes[asset].back() = "fetch " + std::to_string(code);
      }
      ++st.ok;
    }
    if (code != 200) {
      reply(s, req.version(), 502, "{\"error\":\"cannot fetch the image: " + std::to_string(code) + "\"}");
      continue;
    }
    json::object out{{"brand", found.brand.empty() ? json::value(nullptr) : json::value(found.brand)},
                     {"model", found.model.empty() ? json::value(nullptr) : json::value(found.model)},
                     {"confidence", json::object{{"brand", 0.9}, {"model", 0.85}}}};
    reply(s, req.version(), 200, json::serialize(out));
  }
}

void load_labels(state& st) {
  if (st.opt.labels_dir.empty()) return;
  std::ifstream in(st.opt.labels_dir + "/labels.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto o = json::parse(line).as_object();
    std::ifstream img(st.opt.labels_dir + "/" + std::string(o.at("file").as_string()), std::ios::binary);
    std::stringstream bytes;
    bytes << img.rdbuf();
    st.by_sha[sha256(bytes.str())] = {std::string(o.at("brand").as_string()), std::string(o.at("model").as_string())};
  }
}

}  // namespace

int main(int argc, char** argv) {
  state st;
  auto& o = st.opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port-file") o.port_file = v;
    else if (k == "--labels") o.labels_dir = v;
    else if (k == "--fail-rate") o.fail_rate = std::stod(v);
    else if (k == "--fail-first") o.fail_first = std::stoi(v);
    else if (k == "--status") o.status = std::stoi(v);
    else if (k == "--timeout-ms") o.timeout_ms = std::stoi(v);
    else if (k == "--delay-ms") o.delay_ms = std::stoi(v);
    else if (k == "--lifetime") o.lifetime_s = std::stoi(v);
    else if (k == "--seed") o.seed = static_cast<unsigned>(std::stoul(v));
    else if (k == "--faults") {
      o.faults.clear();
      std::stringstream ss(v);
      for (std::string f; std::getline(ss, f, ',');) o.faults.push_back(f);
    } else {
      std::fprintf(stderr, "fake_worker: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  st.rng.seed(o.seed);
  load_labels(st);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  {
    std::ofstream pf(o.port_file + ".tmp");
    pf << acceptor.local_endpoint().port();
  }
  std::filesystem::rename(o.port_file + ".tmp", o.port_file);
  // Stops by itself, whatever the test does.
  std::thread([s = o.lifetime_s] {
    std::this_thread::sleep_for(std::chrono::seconds(s));
    std::_Exit(0);
  }).detach();
  for (;;) {
    tcp::socket s(ioc);
    acceptor.accept(s);
    std::thread([s = std::move(s), &st]() mutable { serve(std::move(s), st); }).detach();
  }
}
