#include "stages/providers/gate.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "core/url.hpp"
#include "stages/providers/bucket.hpp"

namespace pw::stages::providers {

namespace {

using clock = std::chrono::steady_clock;

struct pending {
  http_call call;
  provider_gate::callback done;
  std::uint32_t rate_retries = 0;
};

// What a 429 carried, besides the outcome.
struct answer_meta {
  bool rate_limited = false;
  std::optional<std::chrono::milliseconds> retry_after;
};

verdict classify(int status) {
  if (status >= 200 && status < 300) return verdict::ok;
  if (status == 408 || status == 409 || status == 429 || status >= 500) return verdict::transient;
  return verdict::permanent;
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_after(const std::string& retry_after_ms, const std::string& retry_after,
                                                     std::int64_t now_s) {
  auto number = [](const std::string& s) -> std::optional<double> {
    if (s.empty() || s.size() > 20) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !(v >= 0) || v > 1e9) return std::nullopt;
    return v;
  };
  if (auto ms = number(retry_after_ms)) return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
  if (auto s = number(retry_after)) return std::chrono::milliseconds(static_cast<std::int64_t>(*s * 1000));
  if (retry_after.size() >= 20 && retry_after.size() < 64) {
    std::tm tm{};
    const char* end = strptime(retry_after.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (end) {
      auto at = timegm(&tm);
      return std::chrono::milliseconds(std::max<std::int64_t>(0, (static_cast<std::int64_t>(at) - now_s) * 1000));
    }
  }
  return std::nullopt;
}

std::string provider_message(int status, const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  std::string message;
  if (!ec && v.is_object()) {
    if (auto* e = v.as_object().if_contains("error")) {
      if (e->is_object()) {
        if (auto* m = e->as_object().if_contains("message"); m && m->is_string()) message = std::string(m->as_string());
      } else if (e->is_string()) {
        message = std::string(e->as_string());
      }
    }
  }
  if (message.empty()) message = body.substr(0, 300);
  for (auto& c : message)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (message.size() > 500) message = message.substr(0, 500) + "...";
  return fmt::format("HTTP {}: {}", status, message.empty() ? "(no message)" : message);
}

struct provider_gate::impl {
  explicit impl(const core::provider_config& c)
      : cfg(c),
        url(core::parse_base_url(c.base_url, "providers." + c.name + ".base_url").value()),
        requests(c.requests_per_minute / 60.0, std::max(1.0, c.requests_per_minute / 60.0), clock::now()),
        tokens(c.tokens_per_minute / 60.0, c.tokens_per_minute / 60.0, clock::now()) {}

  const core::provider_config& cfg;
  core::base_url url;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<pending> queue;
  token_bucket requests, tokens;
  clock::time_point paused_until{};
  std::chrono::milliseconds backoff{0};  // the pause after a 429 that named none
  std::vector<std::thread> workers;
  std::vector<httplib::Client*> clients;  // the workers', so that stop() can cut calls short
  std::size_t idle = 0;
  bool stopping = false;
  gate_stats stats;

  std::unique_ptr<httplib::Client> make_client() const {
    auto c = std::make_unique<httplib::Client>(url.origin());
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_follow_location(false);
    const auto connect = cfg.connect_timeout.count();
    c->set_connection_timeout(connect / 1000, (connect % 1000) * 1000);
    if (url.tls()) {
      c->enable_server_certificate_verification(true);
      if (!cfg.ca_file.empty()) c->set_ca_cert_path(cfg.ca_file);
    }
    return c;
  }

  http_outcome perform(httplib::Client& client, const http_call& call, answer_meta& meta) const {
    const auto timeout = call.timeout.count() > 0 ? call.timeout : cfg.timeout;
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Headers headers{{"User-Agent", "pipewright/0.1"}, {"Accept", "application/json"}};
    if (!cfg.api_key.empty()) headers.emplace("Authorization", "Bearer " + cfg.api_key);
    const std::string path = url.path + call.path;
    auto res = [&] {
      if (call.method == "GET") return client.Get(path, headers);
      if (call.method == "DELETE") return client.Delete(path, headers);
      if (call.upload) {
        httplib::MultipartFormDataItems items{{"purpose", call.upload->purpose, "", ""},
                                              {"file", call.body, call.upload->filename, "application/jsonl"}};
        return client.Post(path, headers, items);
      }
      return client.Post(path, headers, call.body, "application/json");
    }();
    http_outcome out;
    if (!res) {
      const auto err = res.error();
      out.v = verdict::transient;
      if (err == httplib::Error::SSLServerVerification || err == httplib::Error::SSLLoadingCerts) {
        out.v = verdict::permanent;
        out.message = fmt::format("TLS: the certificate of {} is not trusted (providers.{}.ca_file, or the system CA store)",
                                  url.origin(), cfg.name);
      } else {
        out.message = fmt::format("no answer from {}: {}", url.origin(), httplib::to_string(err));
      }
      return out;
    }
    out.status = res->status;
    out.v = classify(res->status);
    if (res->status == 429) {
      meta.rate_limited = true;
      meta.retry_after = retry_after(res->get_header_value("retry-after-ms"), res->get_header_value("Retry-After"),
                                     static_cast<std::int64_t>(std::time(nullptr)));
    }
    if (out.v == verdict::ok) out.body = std::move(res->body);
    else out.message = provider_message(res->status, res->body);
    return out;
  }

  void worker() {
    pthread_setname_np(pthread_self(), ("pw-ai-" + cfg.name).substr(0, 15).c_str());
    auto client = make_client();
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      clients.push_back(client.get());
    }
    for (;;) {
      pending p;
      {
        std::unique_lock lock(mu);
        for (;;) {
          if (stopping) {
            clients.erase(std::find(clients.begin(), clients.end(), client.get()));
            return;
          }
          if (queue.empty()) {
            ++idle;
            cv.wait(lock);
            --idle;
            continue;
          }
          const auto now = clock::now();
          if (now < paused_until) {
            ++idle;
            cv.wait_until(lock, paused_until);
            --idle;
            continue;
          }
          const double est = static_cast<double>(queue.front().call.estimated_tokens);
          const auto wait = std::max(requests.wait(1, now), tokens.wait(std::min(est, cfg.tokens_per_minute / 60.0), now));
          if (wait > clock::duration::zero()) {
            ++idle;
            cv.wait_for(lock, wait);
            --idle;
            continue;
          }
          requests.take(1, now);
          tokens.take(est, now);
          p = std::move(queue.front());
          queue.pop_front();
          ++stats.calls;
          ++stats.in_flight;
          stats.max_in_flight = std::max(stats.max_in_flight, stats.in_flight);
          stats.queued = static_cast<std::int64_t>(queue.size());
          break;
        }
      }
      answer_meta meta;
      auto out = perform(*client, p.call, meta);
      {
        std::lock_guard lock(mu);
        --stats.in_flight;
        if (meta.rate_limited) {
          ++stats.rate_limited;
          auto pause = meta.retry_after.value_or(backoff.count() ? std::min(backoff * 2, cfg.max_retry_after)
                                                                  : std::chrono::milliseconds(1000));
          if (!meta.retry_after) backoff = pause;
          pause = std::min(pause, cfg.max_retry_after);
          paused_until = std::max(paused_until, clock::now() + pause);
          tokens.adjust(static_cast<double>(p.call.estimated_tokens), clock::now());  // nothing was spent
          spdlog::warn("event=provider.rate_limited provider={} call=\"{}\" pause_ms={} retry={}/{}", cfg.name,
                       p.call.what, pause.count(), p.rate_retries, cfg.rate_limit_retries);
          if (p.rate_retries < cfg.rate_limit_retries && !stopping) {
            ++p.rate_retries;
            queue.push_front(std::move(p));
            stats.queued = static_cast<std::int64_t>(queue.size());
            cv.notify_all();
            continue;
          }
          out.message += fmt::format(" (still rate limited after {} retries)", p.rate_retries);
        } else if (out.v == verdict::ok) {
          backoff = std::chrono::milliseconds(0);
        }
        if (out.v != verdict::ok) ++stats.failed;
        cv.notify_all();
      }
      if (out.v != verdict::ok)
        spdlog::debug("event=provider.call_failed provider={} call=\"{}\" status={} error=\"{}\"", cfg.name, p.call.what,
                      out.status, out.message);
      p.done(std::move(out));
    }
  }
};

provider_gate::provider_gate(const core::provider_config& cfg) : cfg_(cfg), impl_(std::make_unique<impl>(cfg_)) {}

provider_gate::~provider_gate() { stop(); }

void provider_gate::submit(http_call call, callback done) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->stopping) {
      impl_->queue.push_back(pending{std::move(call), std::move(done), 0});
      impl_->stats.queued = static_cast<std::int64_t>(impl_->queue.size());
      if (impl_->idle == 0 && impl_->workers.size() < cfg_.max_concurrency)
        impl_->workers.emplace_back([i = impl_.get()] { i->worker(); });
      impl_->cv.notify_all();
      return;
    }
  }
  done(http_outcome{verdict::transient, 0, {}, "the node is shutting down"});
}

void provider_gate::settle_tokens(std::int64_t estimated, std::int64_t actual) {
  if (actual < 0) return;
  std::lock_guard lock(impl_->mu);
  impl_->tokens.adjust(static_cast<double>(estimated - actual), clock::now());
}

void provider_gate::stop() {
  std::deque<pending> dropped;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    dropped.swap(impl_->queue);
    workers.swap(impl_->workers);
    for (auto* c : impl_->clients) c->stop();  // calls in flight end now, as transient failures
    impl_->cv.notify_all();
  }
  for (auto& p : dropped) p.done(http_outcome{verdict::transient, 0, {}, "the node is shutting down"});
  // A worker in a call finishes it (bounded by the call's timeout); its
  // callback only posts.
  for (auto& t : workers)
    if (t.joinable()) t.join();
}

gate_stats provider_gate::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace pw::stages::providers
