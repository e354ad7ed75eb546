#include "net/imports.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/csv.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "net/api_common.hpp"
#include "net/import_rows.hpp"
#include "store/imports.hpp"

namespace pw::net {

namespace {

constexpr std::size_t max_in_flight = 256;
constexpr std::size_t max_reported = 1000;

bool claim_key(std::set<std::string>& s, const std::string& k) { return s.insert(k).second; }

class import_session final : public body_sink, public std::enable_shared_from_this<import_session> {
 public:
  import_session(api_context& ctx, import_registry& reg, principal who, import_params params)
      : ctx_(ctx), reg_(reg), who_(std::move(who)), params_(std::move(params)),
        id_(core::id_generator().next(core::now_ms())), started_ms_(core::now_ms()),
        csv_(core::csv_options{}, [this](core::csv_row&& r) { row(std::move(r)); },
             [this](core::csv_problem&& p) { reject(p.line, std::move(p.message)); }) {
    progress_.owner = who_.sub;
    reg_.update(id_, progress_);
    spdlog::info("event=import.started import={} owner={} workspace={}", id_, who_.sub, params_.workspace.value_or("(column)"));
  }

  void data(std::string_view bytes, std::function<void()> more) override {
    if (!fatal_) csv_.feed(bytes);
    std::lock_guard lock(mu_);
    reg_.update(id_, progress_);
    if (in_flight_ < max_in_flight) {
      more_ = nullptr;
      lock_free_more(std::move(more));
    } else {
      more_ = std::move(more);  // called when submissions come back
    }
  }

  void end(responder respond) override {
    if (!fatal_) csv_.finish();
    if (!header_seen_ && !fatal_) fatal_ = core::make_error(core::errc::validation_failed, "the file is empty: expected a header row and rows");
    std::unique_lock lock(mu_);
    respond_ = std::move(respond);
    ended_ = true;
    maybe_done(lock);
  }

  void abort(const std::string& why) override {
    std::lock_guard lock(mu_);
    aborted_ = true;
    spdlog::warn("event=import.aborted import={} rows={} created={} reason=\"{}\"", id_, progress_.rows, progress_.created, why);
    if (in_flight_ == 0) reg_.finish(id_);
  }

 private:
  static void lock_free_more(std::function<void()> more) {
    if (more) more();
  }

  void header(const core::csv_row& r) {
    header_seen_ = true;
    auto cols = read_import_header(r, params_);
    if (cols) cols_ = std::move(cols).value();
    else fatal_ = std::move(cols).err();
  }

  void fail_header(std::string message) {
    fatal_ = core::make_error(core::errc::validation_failed, std::move(message), "{\"field\":\"header\"}");
  }

  void reject(std::size_t line, std::string message) {
    if (!header_seen_ && !fatal_) {
      fail_header(fmt::format("line {}: the header row cannot be read: {}", line, message));
      return;
    }
    std::lock_guard lock(mu_);
    ++progress_.rows;
    ++progress_.rejected;
    if (errors_.size() < max_reported) errors_.push_back({line, std::move(message)});
  }

  void row(core::csv_row&& r) {
    if (fatal_) return;
    if (!header_seen_) return header(r);
    auto read = read_import_row(r, cols_, params_, who_, ctx_.cfg.limits, id_);
    if (auto* why = std::get_if<std::string>(&read)) return reject(r.line, std::move(*why));
    auto& req = std::get<import_row>(read).request;
    const std::string key = std::get<import_row>(read).key;
    {
      std::lock_guard lock(mu_);
      ++progress_.rows;
    }
    // Claimed first, then looked up: a concurrent import of the same key
    // releases its claim only once its item is durable, so the lookup after
    // a claim sees it.
    bool fresh = reg_.claim(req.workspace, key);
    if (fresh && exists(req.workspace, key)) {
      reg_.release(req.workspace, key);
      fresh = false;
    }
    if (!fresh) {
      std::lock_guard lock(mu_);
      ++progress_.existing;
      return;
    }
    req.row_key = key;
    {
      std::lock_guard lock(mu_);
      ++in_flight_;
    }
    auto ws = req.workspace;
    ctx_.gate.submit(std::move(req), [self = shared_from_this(), line = r.line, ws = std::move(ws),
                                      key](core::result<actors::submit_reply> result) {
      self->reg_.release(ws, key);
      std::unique_lock lock(self->mu_);
      --self->in_flight_;
      if (result) ++self->progress_.created;
      else {
        ++self->progress_.rejected;
        if (self->errors_.size() < max_reported) self->errors_.push_back({line, result.err().message});
      }
      if (self->more_ && self->in_flight_ <= max_in_flight / 2) {
        auto more = std::move(self->more_);
        self->more_ = nullptr;
        lock.unlock();
        more();
        return;
      }
      self->maybe_done(lock);
    });
  }

  bool exists(const std::string& ws, const std::string& key) const {
    return store::find_row_key(ctx_.db, ws, key).has_value();
  }

  void maybe_done(std::unique_lock<std::mutex>& lock) {
    if (aborted_ && in_flight_ == 0) {
      lock.unlock();
      reg_.finish(id_);
      return;
    }
    if (!ended_ || in_flight_ > 0 || !respond_ || aborted_) return;
    auto respond = std::move(respond_);
    respond_ = nullptr;
    const auto p = progress_;
    auto errors = errors_;
    lock.unlock();
    reg_.finish(id_);
    if (fatal_) {
      spdlog::warn("event=import.refused import={} error=\"{}\"", id_, fatal_->message);
      return respond(error_response(*fatal_));
    }
    const auto now = core::now_ms();
    std::string body = "{\"id\":";
    core::append_json_string(body, id_);
    body += ",\"workspace\":";
    if (params_.workspace) core::append_json_string(body, *params_.workspace);
    else body += "null";
    body += fmt::format(",\"status\":\"completed\",\"rows\":{},\"created\":{},\"existing\":{},\"rejected\":{},\"errors\":[",
                        p.rows, p.created, p.existing, p.rejected);
    std::sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < errors.size(); ++i) {
      body += fmt::format("{}{{\"line\":{},\"message\":", i ? "," : "", errors[i].first);
      core::append_json_string(body, errors[i].second);
      body += '}';
    }
    body += fmt::format("],\"errors_truncated\":{},\"started_at\":\"{}\",\"finished_at\":\"{}\",\"duration_ms\":{}}}",
                        p.rejected > static_cast<std::int64_t>(errors.size()), core::iso8601(started_ms_),
                        core::iso8601(now), now - started_ms_);
    spdlog::info("event=import.finished import={} owner={} rows={} created={} existing={} rejected={} duration_ms={}", id_,
                 who_.sub, p.rows, p.created, p.existing, p.rejected, now - started_ms_);
    // Answered once the report is kept: GET /imports/{id} finds it.
    auto report = body;
    ctx_.gate.save_import(id_, who_.sub, std::move(report),
                          [respond = std::move(respond), body = std::move(body)]() mutable { respond(json_response(200, std::move(body))); });
  }

  api_context& ctx_;
  import_registry& reg_;
  principal who_;
  import_params params_;
  std::string id_;
  std::int64_t started_ms_;
  core::csv_reader csv_;
  import_columns cols_;
  bool header_seen_ = false;
  std::optional<core::error> fatal_;
  std::mutex mu_;
  import_registry::progress progress_;
  std::vector<std::pair<std::size_t, std::string>> errors_;
  std::size_t in_flight_ = 0;
  std::function<void()> more_;
  responder respond_;
  bool ended_ = false, aborted_ = false;
};

}  // namespace

bool import_registry::claim(const std::string& workspace, const std::string& key) {
  std::lock_guard lock(mu_);
  return claim_key(claimed_, workspace + '\0' + key);
}

void import_registry::release(const std::string& workspace, const std::string& key) {
  std::lock_guard lock(mu_);
  claimed_.erase(workspace + '\0' + key);
}

void import_registry::update(const std::string& id, const progress& p) {
  std::lock_guard lock(mu_);
  running_[id] = p;
}

void import_registry::finish(const std::string& id) {
  std::lock_guard lock(mu_);
  running_.erase(id);
}

std::optional<import_registry::progress> import_registry::running(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end()) return std::nullopt;
  return it->second;
}

void add_import_routes(router& r, api_context& ctx, import_registry& registry) {
  stream_route imports;
  imports.method = "POST";
  imports.pattern = "/api/v1/imports";
  imports.max_body_bytes = ctx.cfg.limits.max_import_bytes;
  imports.fn = [&ctx, &registry](http_request& req, const principal& who, const responder& respond) -> std::shared_ptr<body_sink> {
    if (!csv_content_type(req.content_type)) {
      respond(error_response(core::errc::unsupported_media_type, "send the file as CSV: Content-Type: text/csv"));
      return nullptr;
    }
    if (ctx.gate.draining()) {
      respond(error_response(core::errc::draining, "the node is shutting down; retry later"));
      return nullptr;
    }
    // Rows go to this node's store, whichever node holds their workspace:
    // not in a cluster (docs/cluster.md, "Not built").
    if (ctx.cfg.cluster.enabled) {
      respond(error_response(core::errc::unavailable,
                             "CSV import is not available on a cluster node yet: import on a single node, or submit the "
                             "rows with POST /api/v1/items"));
      return nullptr;
    }
    import_params p;
    if (auto w = req.query_value("workspace"); w && !w->empty()) {
      if (!valid_workspace_id(*w)) {
        respond(error_response(core::errc::validation_failed, "'workspace' is not a workspace id", "{\"field\":\"workspace\"}"));
        return nullptr;
      }
      if (!who.may_use(*w)) {
        respond(error_response(core::errc::forbidden, fmt::format("your token does not grant workspace '{}'", *w)));
        return nullptr;
      }
      p.workspace = std::string(*w);
    }
    for (auto [name, field] : {std::pair{"text_column", &p.text_column}, {"title_column", &p.title_column},
                               {"key_column", &p.key_column}}) {
      if (auto v = req.query_value(name); v && !v->empty()) {
        if (v->size() > 128) {
          respond(error_response(core::errc::validation_failed, fmt::format("'{}' is longer than 128 bytes", name),
                                 fmt::format("{{\"field\":\"{}\"}}", name)));
          return nullptr;
        }
        *field = std::string(*v);
      }
    }
    return std::make_shared<import_session>(ctx, registry, who, std::move(p));
  };
  r.add_stream(std::move(imports));

  r.add({"GET", "/api/v1/imports/{id}", access::user, [&ctx, &registry](http_request& req, const principal* who, responder respond) {
           const std::string id(req.param("id"));
           if (!core::looks_like_id(id)) return respond(error_response(core::errc::not_found, fmt::format("no import '{}'", id)));
           if (auto p = registry.running(id)) {
             if (p->owner != who->sub && !who->admin)
               return respond(error_response(core::errc::not_found, fmt::format("no import '{}'", id)));
             return respond(json_response(200, fmt::format("{{\"id\":\"{}\",\"status\":\"running\",\"rows\":{},\"created\":{},"
                                                           "\"existing\":{},\"rejected\":{}}}",
                                                           id, p->rows, p->created, p->existing, p->rejected)));
           }
           if (auto saved = store::find_import(ctx.db, id); saved && (saved->first == who->sub || who->admin))
             return respond(json_response(200, saved->second));
           respond(error_response(core::errc::not_found, fmt::format("no import '{}'", id)));
         }});
}

}  // namespace pw::net
