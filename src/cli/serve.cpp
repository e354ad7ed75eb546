// `pipewright serve`: the composition root. Opens the store, builds the
// stage backends, starts the actor runtime and the server, recovers every
// unfinished item, and on SIGTERM/SIGINT drains and exits 0.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "actors/backends.hpp"
#include "actors/runtime.hpp"
#include "cli/asset_runtime.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "cli/logging.hpp"
#include "cluster/node.hpp"
#include "net/api.hpp"
#include "net/api_cluster.hpp"
#include "net/cluster_front.hpp"
#include "net/imports.hpp"
#include "net/server.hpp"
#include "stages/providers/hub.hpp"
#include "store/recovery.hpp"

namespace pw::cli {

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// After the first signal: a second one, or a drain that outlives its budget,
// ends the process at once. The store stays consistent (every write is
// atomic and logged); the next start recovers. Once disarmed (the node
// stopped in time) it never acts: it would otherwise log through a logger
// that exit() is destroying (found by ASan: LeakSanitizer's exit-time scan
// interrupts sigtimedwait, which the first version took for a timeout).
class shutdown_watchdog {
 public:
  explicit shutdown_watchdog(std::chrono::milliseconds budget) : state_(std::make_shared<state>()) {
    std::thread([budget, st = state_] {
      auto set = shutdown_signals();
      const auto deadline = std::chrono::steady_clock::now() + budget;
      int sig = -1;
      for (;;) {
        const auto left = std::max(std::chrono::nanoseconds(0), deadline - std::chrono::steady_clock::now());
        timespec ts{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
        sig = sigtimedwait(&set, nullptr, &ts);
        if (sig > 0 || errno != EINTR) break;  // a signal, or the budget is spent (EAGAIN)
      }
      std::lock_guard lock(st->mu);
      if (st->disarmed) return;
      if (sig > 0) spdlog::warn("event=node.forced_exit reason=\"second signal\" signal={}", sig);
      else spdlog::critical("event=node.forced_exit reason=\"shutdown took longer than {} ms\"", budget.count());
      spdlog::default_logger()->flush();
      _exit(sig > 0 ? 130 : 3);
    }).detach();
  }
  // After this returns the watchdog does nothing (it may be exiting the
  // process right now: then this waits for that).
  void disarm() {
    std::lock_guard lock(state_->mu);
    state_->disarmed = true;
  }

 private:
  struct state {
    std::mutex mu;
    bool disarmed = false;
  };
  std::shared_ptr<state> state_;
};

// Every connection is a file descriptor: the soft limit (often 1024) goes up
// to the hard one, and a max_connections the limit cannot hold is said at start.
void raise_fd_limit(std::size_t max_connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  const rlim_t needed = max_connections + 512;  // the store's files, the log, the loader
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed)
    spdlog::warn("event=node.fd_limit open_files={} max_connections={} detail=\"raise the open file limit (ulimit -n) or "
                 "lower server.max_connections: accepting pauses when descriptors run out\"",
                 rl.rlim_cur, max_connections);
}

}  // namespace

int serve(const serve_options& o) {
  // Signals are taken with sigwait on this thread; block them before any
  // other thread exists so that none of them receives one.
  auto signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto cfg = load(o.config_file, o.listen, o.data_dir);
  if (!cfg) {
    std::cerr << "pipewright: " << cfg.err().message << "\n";
    return 2;
  }
  setup_logging(cfg->log_level, cfg->log_format);
  raise_fd_limit(cfg->server.max_connections);
  spdlog::info("event=node.starting data_dir={} sync={} max_active={} io_threads={} ws_threads={} scheduler_threads={} "
               "scheduler_poll_us={}",
               cfg->server.data_dir, cfg->store.sync, cfg->actors.max_active, cfg->server.io_threads, cfg->server.ws_threads,
               cfg->actors.scheduler_threads, cfg->actors.scheduler_poll_us);

  auto db = store::database::open(cfg->server.data_dir, store::open_options{cfg->store.block_cache_mb, cfg->store.write_buffer_mb});
  if (!db) {
    spdlog::critical("event=node.failed reason=\"{}\"", db.err().message);
    return 1;
  }
  // Provider gates (http and batch stages); the runtime stops them on shutdown.
  stages::providers::hub providers(*cfg);
  auto assets = asset_runtime::start(*cfg, *db.value());
  if (!assets) {
    std::cerr << "pipewright: " << assets.err().message << "\n";
    return 2;
  }
  auto bindings = actors::bind_pipelines(*cfg, *db.value(), &providers, &assets.value()->services());
  if (!bindings) {
    std::cerr << "pipewright: " << bindings.err().message << "\n";
    return 2;
  }
  for (const auto& [name, p] : cfg->providers)
    spdlog::info("event=provider.configured provider={} base_url={} api_key={} ca_file=\"{}\" max_concurrency={} rpm={} tpm={}",
                 name, p.base_url, p.api_key.empty() ? "none" : "set", p.ca_file, p.max_concurrency,
                 p.requests_per_minute, p.tokens_per_minute);

  core::node_metrics metrics(cfg->pipelines, PIPEWRIGHT_VERSION);
  // In a cluster (docs/cluster.md) the node joins before it serves; a
  // single node has none of it.
  std::unique_ptr<cluster::node> member;
  actors::cluster_hooks hooks;
  if (cfg->cluster.enabled) {
    member = std::make_unique<cluster::node>(*cfg, *db.value());
    hooks = member->hooks();
  }
  actors::runtime rt(*cfg, *db.value(), std::move(bindings).value(), metrics, hooks, &providers);
  net::authenticator auth(cfg->auth.jwt_secret, cfg->limits.auth_failures_per_s, cfg->limits.auth_failure_burst,
                          cfg->limits.auth_refusal_delay);
  net::body_parser bodies(cfg->limits);
  net::idempotency idem(*db.value(), rt, cfg->store.idempotency_retention_ms);
  net::rate_limiter submits(cfg->limits.submit_rate_per_user, cfg->limits.submit_burst);
  net::router routes(auth, &metrics);
  net::api_context ctx{*cfg, rt, rt, *db.value(), bodies, idem, submits, [&rt] { return rt.store_failure(); },
                       &assets.value()->brands(), &assets.value()->signer()};
  net::add_all_routes(routes, ctx);
  net::import_registry imports;
  net::add_import_routes(routes, ctx, imports);
  net::cluster_front front(routes, member.get());
  if (member)
    net::add_cluster_routes(routes, {[&member] { return member->status_json(); },
                                     [&member](const std::string& n, bool d) { return member->drain(n, d); }});
  // The embedded API document is converted off the start path (it takes
  // tens of ms; readiness does not wait for it). A broken one is a build
  // defect that the tests catch; should one ship, the node says so and stops.
  std::thread api_document([] {
    try {
      net::api_document_json();
    } catch (const std::exception& e) {
      spdlog::critical("event=node.failed reason=\"the embedded API document does not parse: {}\"", e.what());
      std::_Exit(1);
    }
  });
  struct joined {
    std::thread& t;
    ~joined() { t.join(); }
  } join_api_document{api_document};

  actors::gateway& gate = member ? static_cast<actors::gateway&>(*member) : rt;
  net::server srv(*cfg, routes, auth, gate, *db.value(), &metrics);
  if (member) srv.set_front([&front](net::http_request& r, net::responder done) { front.dispatch(r, std::move(done)); });
  auto port = srv.start();
  if (!port) {
    spdlog::critical("event=node.failed reason=\"{}\"", port.err().message);
    assets.value()->stop();
    rt.shutdown();
    return 1;
  }
  const auto& host = cfg->server.listen.host;
  const auto origin = fmt::format("http://{}:{}", host.find(':') != std::string::npos ? "[" + host + "]" : host, port.value());
  // External workers fetch images from here (signed URLs).
  assets.value()->signer().set_base(cfg->assets.public_url.empty() ? origin : cfg->assets.public_url);
  spdlog::info("listening on {}", origin);

  if (member) {
    // A slot's unfinished items resume when the node takes its lease; the
    // node is ready once it registered and took the slots that are its own.
    auto joined = member->start(rt, port.value(), [&front](net::http_request r, net::responder done) {
      front.dispatch_forwarded(std::move(r), std::move(done));
    });
    if (!joined) {
      spdlog::critical("event=node.failed reason=\"{}\"", joined.err().message);
      srv.stop();
      member->stop(false);
      rt.shutdown();
      return 1;
    }
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    auto report = store::recover(*db.value(), 4096,
                                 [&rt](std::vector<store::queued_ref>&& batch) { rt.resume(std::move(batch)); });
    rt.mark_ready();
    spdlog::info("event=recovery.done resumed={} unreadable={} elapsed_ms={}", report.resumed, report.unreadable,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("event=node.draining signal={} drain_timeout_ms={}", strsignal(sig), cfg->server.drain_timeout.count());
  shutdown_watchdog watchdog(cfg->server.drain_timeout + std::chrono::seconds(5));

  const bool drained = rt.drain(cfg->server.drain_timeout);
  srv.stop();
  // A clean stop gives the slots' leases back at once (their records stay
  // here: the node serves them again when it returns).
  if (member) member->stop(true);
  assets.value()->stop();  // image jobs not started are dropped; their items resume on the next start
  rt.shutdown();
  auto stats = rt.stats();
  db.value().reset();
  spdlog::info("event=node.stopped drained={} batches={} write_sets={} keys={} bytes={}", drained,
               stats.writer.batches, stats.writer.write_sets, stats.writer.keys, stats.writer.bytes);
  spdlog::default_logger()->flush();
  watchdog.disarm();
  return 0;
}

}  // namespace pw::cli
