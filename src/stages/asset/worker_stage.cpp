#include "stages/asset/worker_stage.hpp"

#include <chrono>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <httplib.h>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace pw::stages::asset {

namespace {

struct endpoint {
  std::string origin;  // "http://host:port"
  std::string path;    // "/analyze"
};

core::result<endpoint> parse_url(const std::string& url, const std::string& key) {
  auto bad = [&] {
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}.options.url: expected http://HOST:PORT/PATH or https://..., got \"{}\"", key, url));
  };
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad();
  auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return bad();
  auto rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  auto host = rest.substr(0, slash);
  if (host.empty()) return bad();
  return endpoint{scheme + "://" + host, slash == std::string::npos ? "/" : rest.substr(slash)};
}

std::string excerpt(const std::string& body) {
  std::string e = body.substr(0, 200);
  for (auto& c : e)
    if (c == '\n' || c == '\r') c = ' ';
  return e;
}

double number_or(const boost::json::value* v, double fallback) {
  return v && v->is_number() ? v->to_number<double>() : fallback;
}

// One call to the worker. Jobs on the backend's threads hold this, never the
// backend itself: the backend owns the threads, and its last reference must
// not be dropped on one of them.
struct worker_call {
  const services& svc_;
  endpoint ep_;
  std::chrono::milliseconds timeout_;

  stage_outcome run(const stage_input& in) const {
    boost::json::object req;
    const auto& it = in.item;
    boost::system::error_code ec;
    auto meta = boost::json::parse(it.metadata_json, ec);
    auto field = [&](std::string_view k) -> std::string {
      if (ec || !meta.is_object()) return {};
      auto* v = meta.as_object().if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    req["assetId"] = it.id;
    req["jobId"] = it.id;
    req["imageUrl"] = svc_.signer ? svc_.signer->image_url(it.id, core::now_ms()) : std::string();
    req["category"] = field("category");
    req["workspace"] = it.workspace;
    req["contentType"] = field("content_type");
    req["filename"] = field("filename");
    req["attempt"] = in.attempt;

    httplib::Client client(ep_.origin);
    const auto secs = static_cast<time_t>(timeout_.count() / 1000);
    const auto usecs = static_cast<time_t>((timeout_.count() % 1000) * 1000);
    client.set_connection_timeout(secs, usecs);
    client.set_read_timeout(secs, usecs);
    client.set_write_timeout(secs, usecs);
    client.set_keep_alive(false);
    httplib::Headers headers{{"Idempotency-Key", fmt::format("{}:{}", it.id, in.attempt)}};
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client.Post(ep_.path, headers, core::to_json(req), "application/json");
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    const std::string where = ep_.origin + ep_.path;
    if (!res)
      return transient_error(fmt::format("the analysis worker at {} did not answer: {} (after {} ms)", where,
                                         httplib::to_string(res.error()), elapsed));
    const int status = res->status;
    if (status == 408 || status == 425 || status == 429 || status >= 500) {
      auto retry_after = res->get_header_value("Retry-After");
      return transient_error(fmt::format("the analysis worker answered {}{}: {}", status,
                                         retry_after.empty() ? "" : " (Retry-After " + retry_after + ")", excerpt(res->body)));
    }
    if (status >= 300)
      return permanent_error(fmt::format("the analysis worker refused the asset ({}): {}", status, excerpt(res->body)));
    auto answer = boost::json::parse(res->body, ec);
    if (ec || !answer.is_object())
      return transient_error(fmt::format("the analysis worker's answer is not JSON {{brand, model, confidence}}: {}",
                                         excerpt(res->body)));
    const auto& a = answer.as_object();
    boost::json::object out;
    out["source"] = "worker";
    for (std::string_view k : {"brand", "model"}) {
      auto* v = a.if_contains(k);
      if (v && !v->is_string() && !v->is_null())
        return transient_error(fmt::format("the analysis worker's answer has a {} that is not a string: {}", k, excerpt(res->body)));
      out[k] = v && v->is_string() && !v->as_string().empty() ? boost::json::value(v->as_string()) : boost::json::value(nullptr);
    }
    // confidence: one number for both fields, or {brand, model}.
    double brand_conf = 0, model_conf = 0;
    if (auto* c = a.if_contains("confidence")) {
      if (c->is_number()) brand_conf = model_conf = c->to_number<double>();
      else if (c->is_object()) {
        brand_conf = number_or(c->as_object().if_contains("brand"), 0);
        model_conf = number_or(c->as_object().if_contains("model"), 0);
      }
    }
    brand_conf = std::clamp(number_or(a.if_contains("brand_confidence"), brand_conf), 0.0, 1.0);
    model_conf = std::clamp(number_or(a.if_contains("model_confidence"), model_conf), 0.0, 1.0);
    out["confidence"] = boost::json::object{{"brand", brand_conf}, {"model", model_conf}};
    out["worker"] = boost::json::object{{"status", status}, {"elapsed_ms", elapsed}};
    return success(std::move(out));
  }
};

class worker_stage final : public stage_backend {
 public:
  worker_stage(const services& svc, endpoint ep, std::chrono::milliseconds timeout, std::size_t concurrency)
      : call_(std::make_shared<const worker_call>(worker_call{svc, std::move(ep), timeout})), threads_(concurrency, 100000, "pw-worker-http") {}

  bool asynchronous() const noexcept override { return true; }

  void start(const async_input& in, stage_done done) override {
    if (!threads_.submit(in.item->id, [call = call_, in, done] { done(call->run(stage_input{*in.item, *in.upstream, in.attempt})); }))
      done(transient_error("the worker backend is stopping or has too many calls waiting"));
  }

  stage_outcome run(const stage_input& in) override { return call_->run(in); }

 private:
  std::shared_ptr<const worker_call> call_;
  image_pool threads_;  // a pool of its own: HTTP calls wait on the network, not on the CPU
};

std::optional<std::int64_t> integer_option(const core::stage_spec& spec, std::string_view name) {
  auto it = spec.options.find(std::string(name));
  if (it == spec.options.end()) return std::nullopt;
  if (auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  return -1;
}

}  // namespace

core::result<std::shared_ptr<stage_backend>> make_worker_backend(const core::stage_spec& spec, const std::string& key,
                                                                 const services& svc) {
  for (const auto& [name, value] : spec.options)
    if (name != "kind" && name != "url" && name != "timeout_ms" && name != "concurrency")
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.{}: unknown option for the worker backend (known: url, "
                                          "timeout_ms, concurrency)",
                                          key, name));
  auto url = spec.options.find("url");
  if (url == spec.options.end() || !std::holds_alternative<std::string>(url->second))
    return core::make_error(core::errc::validation_failed,
                            fmt::format("config: {}.options.url: missing (the worker's endpoint, http://HOST:PORT/PATH)", key));
  auto ep = parse_url(std::get<std::string>(url->second), key);
  if (!ep) return std::move(ep).err();
  std::int64_t timeout = 10000, concurrency = 4;
  if (auto t = integer_option(spec, "timeout_ms")) {
    if (*t < 10 || *t > 600000)
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.timeout_ms: expected an integer in [10, 600000]", key));
    timeout = *t;
  }
  if (auto c = integer_option(spec, "concurrency")) {
    if (*c < 1 || *c > 256)
      return core::make_error(core::errc::validation_failed,
                              fmt::format("config: {}.options.concurrency: expected an integer in [1, 256]", key));
    concurrency = *c;
  }
  return std::shared_ptr<stage_backend>(std::make_shared<worker_stage>(svc, std::move(ep).value(),
                                                                      std::chrono::milliseconds(timeout),
                                                                      static_cast<std::size_t>(concurrency)));
}

}  // namespace pw::stages::asset
