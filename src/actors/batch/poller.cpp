// The batch poller: retrieves each batch the provider has, mirrors its
// status, and once the provider is done downloads the output and error
// files and maps each line back to its request by custom_id. Mapping is
// written in chunks; a request already mapped is skipped, so a crash
// between download and mapping, or in the middle of it, maps each line once.
#include <unordered_map>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/batch/batch_impl.hpp"
#include "core/clock.hpp"
#include "core/failpoint.hpp"
#include "core/json.hpp"
#include "core/usage.hpp"
#include "stages/providers/answers.hpp"
#include "stages/providers/batch_lines.hpp"

namespace pw::actors {

namespace sp = stages::providers;
namespace json = boost::json;
using store::batch_status;
using store::request_status;

namespace {

std::int64_t count(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return 0;
  auto d = it->value().to_number<double>();
  return d >= 0 && d < 1e12 ? static_cast<std::int64_t>(d) : 0;
}

bool provider_done(batch_status s) {
  return s == batch_status::completed || s == batch_status::failed || s == batch_status::expired ||
         s == batch_status::cancelled;
}

}  // namespace

void batch_service::impl::schedule_poller() {
  poller_timer = timers.schedule(cfg.batch.polling_interval, [w = weak_from_this()] {
    if (auto s = w.lock())
      s->post([s] {
        s->poller_tick();
        s->schedule_poller();
      });
  });
}

void batch_service::impl::poller_tick() {
  if (polling) return;
  auto ids = std::make_shared<std::vector<std::string>>();
  for (const auto& id : store::open_batches(db))
    if (auto b = store::read_batch(db, id); b && !b->provider_batch_id.empty() && !b->settled()) ids->push_back(id);
  if (ids->empty()) return;
  polling = true;
  poll_next(std::move(ids), 0);
}

void batch_service::impl::poll_next(std::shared_ptr<std::vector<std::string>> ids, std::size_t i) {
  if (i >= ids->size()) return void(polling = false);
  auto b = store::read_batch(db, (*ids)[i]);
  if (!b || b->settled() || b->provider_batch_id.empty()) return poll_next(std::move(ids), i + 1);
  sp::http_call c;
  c.method = "GET";
  c.path = "/batches/" + b->provider_batch_id;
  c.what = fmt::format("retrieve batch={}", b->id);
  const auto provider = b->provider;
  call(provider, std::move(c), [this, b = std::move(*b), ids, i](sp::http_outcome o) mutable {
    if (o.v == sp::verdict::ok) return mirror(std::move(b), o.body, ids, i);
    if (o.v == sp::verdict::transient) {
      spdlog::warn("event=batch.poll_failed batch={} error=\"{}\"", b.id, o.message);
      return poll_next(std::move(ids), i + 1);
    }
    // The provider no longer knows the batch: its requests cannot come back.
    spdlog::error("event=batch.lost batch={} provider_batch={} error=\"{}\"", b.id, b.provider_batch_id, o.message);
    b.status = batch_status::failed;
    b.error = o.message;
    b.finished_at_ms = core::now_ms();
    map_back(std::move(b), {}, {});
    poll_next(std::move(ids), i + 1);
  });
}

void batch_service::impl::mirror(store::batch_record b, const std::string& provider_json,
                                 std::shared_ptr<std::vector<std::string>> ids, std::size_t i) {
  auto x = object_of(provider_json);
  auto status = x ? store::from_provider(string_member(*x, "status")) : std::nullopt;
  if (!status) {
    spdlog::warn("event=batch.poll_unreadable batch={}", b.id);
    return poll_next(std::move(ids), i + 1);
  }
  auto before = store::encode_batch(b);
  b.status = *status;
  if (auto rc = x->find("request_counts"); rc != x->end() && rc->value().is_object()) {
    b.provider_completed = count(rc->value().as_object(), "completed");
    b.provider_failed = count(rc->value().as_object(), "failed");
  }
  if (auto f = string_member(*x, "output_file_id"); !f.empty()) b.output_file_id = f;
  if (auto f = string_member(*x, "error_file_id"); !f.empty()) b.error_file_id = f;
  if (auto e = x->find("errors"); e != x->end() && e->value().is_object())
    if (auto d = e->value().as_object().find("data"); d != e->value().as_object().end() && d->value().is_array() &&
                                                      !d->value().as_array().empty() && d->value().as_array()[0].is_object())
      b.error = string_member(d->value().as_array()[0].as_object(), "message");
  if (provider_done(b.status) && b.finished_at_ms == 0) b.finished_at_ms = core::now_ms();
  if (store::encode_batch(b) != before) {
    b.updated_at_ms = core::now_ms();
    store::write_set ws;
    ws.put_batch(b);
    if (!commit(std::move(ws))) return poll_next(std::move(ids), i + 1);
    spdlog::info("event=batch.status batch={} status={} completed={} failed={}", b.id, store::to_string(b.status),
                 b.provider_completed, b.provider_failed);
    core::failpoint("poll.mirrored");
  }
  if (provider_done(b.status)) return download(std::move(b), std::move(ids), i);
  poll_next(std::move(ids), i + 1);
}

void batch_service::impl::download(store::batch_record b, std::shared_ptr<std::vector<std::string>> ids, std::size_t i) {
  struct files {
    std::string output, errors;
  };
  auto got = std::make_shared<files>();
  auto fetch = [this, provider = b.provider](const std::string& file, std::string what,
                                             std::function<void(bool, std::string)> then) {
    if (file.empty()) return then(true, std::string());
    sp::http_call c;
    c.method = "GET";
    c.path = "/files/" + file + "/content";
    c.timeout = std::chrono::minutes(10);
    c.what = std::move(what);
    call(provider, std::move(c), [then = std::move(then)](sp::http_outcome o) {
      if (o.v != sp::verdict::ok) spdlog::warn("event=batch.download_failed error=\"{}\"", o.message);
      then(o.v == sp::verdict::ok, std::move(o.body));
    });
  };
  const auto out_file = b.output_file_id, err_file = b.error_file_id;
  fetch(out_file, "output of batch=" + b.id, [this, fetch, err_file, got, b = std::move(b), ids, i](bool ok, std::string body) mutable {
    if (!ok) return poll_next(std::move(ids), i + 1);  // the next tick downloads again
    got->output = std::move(body);
    fetch(err_file, "errors of batch=" + b.id, [this, got, b = std::move(b), ids, i](bool ok, std::string body) mutable {
      if (!ok) return poll_next(std::move(ids), i + 1);
      got->errors = std::move(body);
      core::failpoint("poll.downloaded");
      map_back(std::move(b), got->output, got->errors);
      poll_next(std::move(ids), i + 1);
    });
  });
}

void batch_service::impl::settle_unanswered(store::batch_record& b, store::provider_request& r, const std::string& why,
                                            std::vector<std::string>& woken, store::write_set& ws) {
  const auto was = static_cast<std::uint8_t>(r.status);
  const auto now = core::now_ms();
  if (cfg.batch.on_batch_failure == core::batch_failure_policy::requeue && r.requeues < cfg.batch.max_requeues) {
    r.status = request_status::pending_batching;
    r.batch_id.clear();
    ++r.requeues;
    ++b.requeued;
  } else {
    r.status = request_status::processing_failed;
    r.error = r.requeues > 0 ? fmt::format("{} (requeued {} times)", why, r.requeues) : why;
    r.error_permanent = true;
    r.failed_at_ms = now;
    ++b.mapped_failed;
    ws.put_stage_data(ready_key(r), r.id);
    woken.push_back(r.item_id);
  }
  r.updated_at_ms = now;
  ws.put_provider_request(r, was);
}

void batch_service::impl::map_back(store::batch_record b, const std::string& output, const std::string& errors) {
  std::unordered_map<std::string, sp::output_line> lines;
  std::size_t problems = 0;
  for (const auto* content : {&output, &errors})
    sp::read_output_file(
        *content, [&](sp::output_line&& l) { lines.emplace(l.custom_id, std::move(l)); },
        [&](sp::line_problem&& p) {
          if (++problems <= 5) spdlog::warn("event=batch.bad_line batch={} line={} error=\"{}\"", b.id, p.line, p.message);
        });
  const bool complete = b.status == batch_status::completed;
  const auto day = core::utc_day(core::now_ms());
  const std::string why = b.error.empty() ? fmt::format("the batch ended {}", store::to_string(b.status))
                                          : fmt::format("the batch ended {}: {}", store::to_string(b.status), b.error);
  store::write_set ws;
  std::vector<std::string> woken;
  std::size_t in_chunk = 0, chunks = 0;
  auto flush = [&](bool last) {
    b.updated_at_ms = core::now_ms();
    if (last) {
      b.unmatched += static_cast<std::int64_t>(lines.size() + problems);
      b.processed_at_ms = b.updated_at_ms;
      if (complete) b.status = batch_status::processed;
    }
    ws.put_batch(b);
    if (!commit(std::move(ws))) return false;
    ws = store::write_set{};
    if (!last && ++chunks == 1) core::failpoint("poll.mapped_chunk");
    if (last) core::failpoint("poll.processed");
    wake_items(std::move(woken));
    woken.clear();
    in_chunk = 0;
    return true;
  };
  const auto members = store::read_members(db, b.id);
  for (const auto& id : members) {
    auto r = store::read_request(db, id);
    if (!r || r->status != request_status::batching_in_progress || r->batch_id != b.id) {
      lines.erase(id);  // mapped before a restart: not a stray line
      continue;
    }
    auto it = lines.find(id);
    // Lines the provider wrote for requests it never ran (the batch expired
    // or was cancelled) are unanswered requests, not failed ones.
    if (it != lines.end() && it->second.status_code == 0 &&
        (it->second.error_code == "batch_expired" || it->second.error_code == "batch_cancelled")) {
      lines.erase(it);
      it = lines.end();
      if (complete) {
        settle_unanswered(b, *r, "the provider did not run it (" + why + ")", woken, ws);
        if (++in_chunk >= cfg.batch.mapping_chunk && !flush(false)) return;
        continue;
      }
    }
    if (it == lines.end()) {
      if (complete) {
        const auto was = static_cast<std::uint8_t>(r->status);
        r->status = request_status::processing_failed;
        r->error = "missing from the batch's output and error files";
        r->error_permanent = false;
        r->failed_at_ms = r->updated_at_ms = core::now_ms();
        ++b.mapped_failed;
        ws.put_provider_request(*r, was);
        ws.put_stage_data(ready_key(*r), r->id);
        woken.push_back(r->item_id);
      } else {
        settle_unanswered(b, *r, why, woken, ws);
      }
    } else {
      const auto& line = it->second;
      const auto was = static_cast<std::uint8_t>(r->status);
      const auto now = core::now_ms();
      std::string failure;
      bool permanent = false;
      if (line.status_code == 200) {
        auto kind = sp::parse_stage_kind(r->kind);
        auto parsed = kind ? sp::parse_answer(*kind, line.body, r->model)
                           : std::variant<sp::answer, sp::bad_answer>(sp::bad_answer{"unknown stage kind " + r->kind});
        if (auto* a = std::get_if<sp::answer>(&parsed)) {
          r->status = request_status::processing_complete;
          r->result = core::to_json(a->output);
          r->prompt_tokens = a->usage.prompt;
          r->completion_tokens = a->usage.completion;
          b.prompt_tokens += a->usage.prompt;
          b.completion_tokens += a->usage.completion;
          ++b.mapped_complete;
          for (auto& [field, delta] : core::usage_counters(day, r->stage, r->model, "batch", a->usage.prompt, a->usage.completion))
            ws.count(r->workspace, field, delta);
        } else {
          failure = std::get<sp::bad_answer>(parsed).message;
        }
      } else {
        failure = line.status_code ? fmt::format("HTTP {}: {}", line.status_code, line.error) : line.error;
        if (!line.error_code.empty() && line.status_code == 0) failure = line.error_code + ": " + line.error;
        permanent = line.status_code != 0 && !sp::transient_status(line.status_code);
      }
      if (!failure.empty()) {
        r->status = request_status::processing_failed;
        r->error = std::move(failure);
        r->error_permanent = permanent;
        r->failed_at_ms = now;
        ++b.mapped_failed;
      }
      r->updated_at_ms = now;
      ws.put_provider_request(*r, was);
      ws.put_stage_data(ready_key(*r), r->id);
      woken.push_back(r->item_id);
      lines.erase(it);
    }
    if (++in_chunk >= cfg.batch.mapping_chunk && !flush(false)) return;
  }
  if (!flush(true)) return;
  spdlog::info("event=batch.processed batch={} status={} complete={} failed={} requeued={} unmatched={} prompt_tokens={} "
               "completion_tokens={}",
               b.id, store::to_string(b.status), b.mapped_complete, b.mapped_failed, b.requeued, b.unmatched,
               b.prompt_tokens, b.completion_tokens);
}

}  // namespace pw::actors
