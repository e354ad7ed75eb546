// The batch creator: pending requests, grouped by provider and model, become
// a batch record and its members' links (one write), a JSONL file uploaded
// to the provider, and a batch created from it. Each step is recorded before
// the next, and a batch found unfinished at start asks the provider what
// already exists before repeating a step (service.hpp).
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/batch/batch_impl.hpp"
#include "core/clock.hpp"
#include "core/failpoint.hpp"
#include "stages/providers/batch_lines.hpp"

namespace pw::actors {

namespace sp = stages::providers;
namespace json = boost::json;
using store::batch_status;
using store::request_status;

namespace {

std::string file_name(const store::batch_record& b) { return "pipewright-" + b.id + ".jsonl"; }

sp::http_outcome unreadable(std::string what) {
  return sp::http_outcome{sp::verdict::transient, 200, {}, "the provider's answer has no " + std::move(what)};
}

}  // namespace

void batch_service::impl::schedule_creator() {
  creator_timer = timers.schedule(cfg.batch.creation_interval, [w = weak_from_this()] {
    if (auto s = w.lock())
      s->post([s] {
        s->creator_tick();
        s->schedule_creator();
      });
  });
}

void batch_service::impl::creator_tick() {
  if (creating) return;
  // A creation that a crash or a transient error interrupted goes first.
  for (const auto& id : store::open_batches(db)) {
    auto b = store::read_batch(db, id);
    if (b && b->provider_batch_id.empty() && (b->status == batch_status::pending || b->status == batch_status::uploading)) {
      creating = true;
      return advance(std::move(*b));
    }
  }
  take_pending();
}

// The oldest pending request's provider and model, and every pending request
// of theirs up to the file's limits.
void batch_service::impl::take_pending() {
  creating = false;
  auto pending = store::requests_by_status(db, request_status::pending_batching, "", 1'000'000);
  if (pending.empty()) return;
  const auto group = pending.front().second;
  const auto now = core::now_ms();
  store::batch_record b;
  b.id = ids.next(now);
  b.status = batch_status::pending;
  b.created_at_ms = b.updated_at_ms = now;
  std::vector<std::string> members;
  store::write_set ws;
  std::vector<std::string> woken;
  for (auto& [id, key] : pending) {
    if (key != group) continue;
    if (members.size() >= cfg.batch.max_lines_per_file) break;
    auto r = store::read_request(db, id);
    if (!r || r->status != request_status::pending_batching) continue;
    if (b.endpoint.empty()) {
      b.provider = r->provider;
      b.model = r->model;
      b.endpoint = r->endpoint;
    }
    if (r->endpoint != b.endpoint) continue;  // another kind on the same model name: the next batch
    const auto line = static_cast<std::int64_t>(sp::input_line(r->id, r->endpoint, r->body).size());
    if (line > static_cast<std::int64_t>(cfg.batch.max_file_bytes)) {
      const auto was = static_cast<std::uint8_t>(r->status);
      r->status = request_status::processing_failed;
      r->error = fmt::format("the request ({} bytes) is larger than a batch file may be (batch.max_file_bytes)", line);
      r->error_permanent = true;
      r->failed_at_ms = r->updated_at_ms = now;
      ws.put_provider_request(*r, was);
      ws.put_stage_data(ready_key(*r), r->id);
      woken.push_back(r->item_id);
      continue;
    }
    if (b.bytes + line > static_cast<std::int64_t>(cfg.batch.max_file_bytes)) break;
    b.bytes += line;
    const auto was = static_cast<std::uint8_t>(r->status);
    r->status = request_status::batching_in_progress;
    r->batch_id = b.id;
    r->updated_at_ms = now;
    ws.put_provider_request(*r, was);
    members.push_back(r->id);
  }
  if (members.empty()) {
    commit(std::move(ws));
    wake_items(std::move(woken));
    return;
  }
  b.requests = static_cast<std::int64_t>(members.size());
  ws.put_batch(b);
  ws.put_batch_members(b.id, members);
  if (!commit(std::move(ws))) return;
  wake_items(std::move(woken));
  spdlog::info("event=batch.recorded batch={} provider={} model={} requests={} bytes={}", b.id, b.provider, b.model,
               b.requests, b.bytes);
  core::failpoint("batch.recorded");
  creating = true;
  advance(std::move(b));
}

void batch_service::impl::advance(store::batch_record b) {
  switch (b.status) {
    case batch_status::pending: return look_first.count(b.id) ? find_file(std::move(b)) : upload(std::move(b));
    case batch_status::uploading: return look_first.count(b.id) ? find_batch(std::move(b)) : create(std::move(b));
    default: creating = false;
  }
}

std::string batch_service::impl::jsonl_of(const store::batch_record& b, std::vector<std::string>*) {
  std::string out;
  out.reserve(static_cast<std::size_t>(b.bytes));
  for (const auto& id : store::read_members(db, b.id))
    if (auto r = store::read_request(db, id)) out += sp::input_line(r->id, r->endpoint, r->body);
  return out;
}

void batch_service::impl::upload(store::batch_record b) {
  sp::http_call c;
  c.path = "/files";
  c.body = jsonl_of(b);
  c.upload = sp::file_upload{file_name(b), "batch"};
  c.timeout = std::chrono::minutes(10);
  c.what = fmt::format("upload batch={}", b.id);
  const auto provider = b.provider;
  call(provider, std::move(c), [this, b = std::move(b)](sp::http_outcome o) mutable {
    if (o.v != sp::verdict::ok) return creation_failed(std::move(b), o);
    auto file = object_of(o.body);
    if (!file || string_member(*file, "id").empty()) return creation_failed(std::move(b), unreadable("file id"));
    core::failpoint("batch.uploaded");
    b.input_file_id = string_member(*file, "id");
    b.status = batch_status::uploading;
    b.uploaded_at_ms = b.updated_at_ms = core::now_ms();
    b.error.clear();
    store::write_set ws;
    ws.put_batch(b);
    if (!commit(std::move(ws))) return void(creating = false);
    spdlog::info("event=batch.uploaded batch={} file={} bytes={}", b.id, b.input_file_id, b.bytes);
    core::failpoint("batch.upload_recorded");
    create(std::move(b));
  });
}

void batch_service::impl::create(store::batch_record b) {
  sp::http_call c;
  c.path = "/batches";
  json::object body{{"input_file_id", b.input_file_id},
                    {"endpoint", b.endpoint},
                    {"completion_window", cfg.batch.completion_window},
                    {"metadata", json::object{{"pipewright_batch", b.id}}}};
  c.body = json::serialize(body);
  c.what = fmt::format("create batch={}", b.id);
  const auto provider = b.provider;
  call(provider, std::move(c), [this, b = std::move(b)](sp::http_outcome o) mutable {
    if (o.v != sp::verdict::ok) return creation_failed(std::move(b), o);
    auto made = object_of(o.body);
    if (!made || string_member(*made, "id").empty()) return creation_failed(std::move(b), unreadable("batch id"));
    core::failpoint("batch.created");
    b.provider_batch_id = string_member(*made, "id");
    b.status = store::from_provider(string_member(*made, "status")).value_or(batch_status::validating);
    b.submitted_at_ms = b.updated_at_ms = core::now_ms();
    b.error.clear();
    store::write_set ws;
    ws.put_batch(b);
    if (!commit(std::move(ws))) return void(creating = false);
    spdlog::info("event=batch.created batch={} provider_batch={} status={} requests={}", b.id, b.provider_batch_id,
                 store::to_string(b.status), b.requests);
    take_pending();  // more pending requests make the next batch now
  });
}

// A batch recorded before a crash: was its file uploaded? (By name.)
void batch_service::impl::find_file(store::batch_record b) {
  sp::http_call c;
  c.method = "GET";
  c.path = "/files?purpose=batch";
  c.what = fmt::format("find file of batch={}", b.id);
  const auto provider = b.provider;
  call(provider, std::move(c), [this, b = std::move(b)](sp::http_outcome o) mutable {
    if (o.v == sp::verdict::transient) return creation_failed(std::move(b), o);
    look_first.erase(b.id);
    std::string found;
    if (auto list = o.v == sp::verdict::ok ? object_of(o.body) : std::nullopt)
      if (auto d = list->find("data"); d != list->end() && d->value().is_array())
        for (const auto& f : d->value().as_array())
          if (f.is_object() && string_member(f.as_object(), "filename") == file_name(b)) found = string_member(f.as_object(), "id");
    if (found.empty()) return upload(std::move(b));
    spdlog::info("event=batch.file_found batch={} file={}", b.id, found);
    b.input_file_id = found;
    b.status = batch_status::uploading;
    b.uploaded_at_ms = b.updated_at_ms = core::now_ms();
    store::write_set ws;
    ws.put_batch(b);
    if (!commit(std::move(ws))) return void(creating = false);
    create(std::move(b));
  });
}

// A batch uploaded before a crash: was it created? (By its metadata or its
// input file, among the provider's recent batches.)
void batch_service::impl::find_batch(store::batch_record b) {
  auto page = std::make_shared<int>(0);
  auto look = std::make_shared<std::function<void(std::string)>>();
  *look = [this, b, page, look](std::string after) {
    sp::http_call c;
    c.method = "GET";
    c.path = "/batches?limit=100" + (after.empty() ? std::string() : "&after=" + after);
    c.what = fmt::format("find batch={}", b.id);
    call(b.provider, std::move(c), [this, b, page, look](sp::http_outcome o) mutable {
      if (o.v == sp::verdict::transient) {
        *look = nullptr;
        return creation_failed(std::move(b), o);
      }
      auto list = o.v == sp::verdict::ok ? object_of(o.body) : std::nullopt;
      std::string last;
      if (list)
        if (auto d = list->find("data"); d != list->end() && d->value().is_array())
          for (const auto& v : d->value().as_array()) {
            if (!v.is_object()) continue;
            const auto& x = v.as_object();
            last = string_member(x, "id");
            std::string tag;
            if (auto m = x.find("metadata"); m != x.end() && m->value().is_object()) tag = string_member(m->value().as_object(), "pipewright_batch");
            if (tag != b.id && string_member(x, "input_file_id") != b.input_file_id) continue;
            *look = nullptr;
            look_first.erase(b.id);
            b.provider_batch_id = last;
            b.status = store::from_provider(string_member(x, "status")).value_or(batch_status::validating);
            b.submitted_at_ms = b.updated_at_ms = core::now_ms();
            spdlog::info("event=batch.adopted batch={} provider_batch={} status={}", b.id, b.provider_batch_id,
                         store::to_string(b.status));
            store::write_set ws;
            ws.put_batch(b);
            if (!commit(std::move(ws))) return void(creating = false);
            return take_pending();
          }
      bool more = false;
      if (list)
        if (auto h = list->find("has_more"); h != list->end() && h->value().is_bool()) more = h->value().as_bool();
      if (more && !last.empty() && ++*page < 20) return (*look)(last);
      *look = nullptr;
      look_first.erase(b.id);
      create(std::move(b));
    });
  };
  (*look)(std::string());
}

void batch_service::impl::creation_failed(store::batch_record b, const sp::http_outcome& o) {
  creating = false;
  const auto now = core::now_ms();
  b.error = o.message;
  b.updated_at_ms = now;
  store::write_set ws;
  if (o.v != sp::verdict::permanent) {
    // Tried again at the next tick, from this step.
    spdlog::warn("event=batch.create_retry batch={} status={} error=\"{}\"", b.id, store::to_string(b.status), o.message);
    ws.put_batch(b);
    commit(std::move(ws));
    return;
  }
  spdlog::error("event=batch.create_failed batch={} error=\"{}\"", b.id, o.message);
  b.status = batch_status::failed;
  b.finished_at_ms = b.processed_at_ms = now;
  std::vector<std::string> woken;
  for (const auto& id : store::read_members(db, b.id)) {
    auto r = store::read_request(db, id);
    if (!r || r->status != request_status::batching_in_progress || r->batch_id != b.id) continue;
    settle_unanswered(b, *r, "the batch could not be created: " + o.message, woken, ws);
  }
  ws.put_batch(b);
  if (commit(std::move(ws))) wake_items(std::move(woken));
}

}  // namespace pw::actors
