#include "store/batch_records.hpp"

#include <cctype>

#include "store/bytes.hpp"
#include "store/rocks.hpp"
#include "store/write_set.hpp"

namespace pw::store {

namespace {

constexpr std::uint8_t request_format = 1;
constexpr std::uint8_t batch_format = 1;
constexpr std::uint8_t members_format = 1;

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string tagged(char tag, std::string_view rest) {
  std::string k(1, tag);
  k += rest;
  return k;
}

rocksdb::Slice slice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

template <class F>
void scan(const database& db, cf c, const std::string& start, const std::string& prefix, F fn) {
  const auto& d = db.internals();
  rocksdb::ReadOptions ro;
  std::string end = prefix_end(prefix);
  rocksdb::Slice upper_bound(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.handle(c)));
  for (it->Seek(slice(start)); it->Valid(); it->Next()) {
    auto k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
}

std::optional<std::string> get(const database& db, cf c, const std::string& key) {
  const auto& d = db.internals();
  std::string value;
  if (!d.db->Get(rocksdb::ReadOptions(), d.handle(c), slice(key), &value).ok()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(request_status s) noexcept {
  switch (s) {
    case request_status::pending_batching: return "PENDING_BATCHING";
    case request_status::batching_in_progress: return "BATCHING_IN_PROGRESS";
    case request_status::processing_complete: return "PROCESSING_COMPLETE";
    case request_status::processing_failed: return "PROCESSING_FAILED";
  }
  return "PENDING_BATCHING";
}

std::string_view summary_name(request_status s) noexcept {
  switch (s) {
    case request_status::pending_batching: return "pending_batching";
    case request_status::batching_in_progress: return "batching_in_progress";
    case request_status::processing_complete: return "processing_complete";
    case request_status::processing_failed: return "processing_failed";
  }
  return "pending_batching";
}

std::string_view counter_field(request_status s) noexcept {
  switch (s) {
    case request_status::pending_batching: return "batch|pending_batching";
    case request_status::batching_in_progress: return "batch|batching_in_progress";
    case request_status::processing_complete: return "batch|processing_complete";
    case request_status::processing_failed: return "batch|processing_failed";
  }
  return "batch|pending_batching";
}

std::optional<request_status> parse_request_status(std::string_view s) noexcept {
  if (s.size() > 32) return std::nullopt;
  const auto u = upper(s);
  for (auto st : all_request_statuses)
    if (to_string(st) == u) return st;
  return std::nullopt;
}

std::string_view to_string(batch_status s) noexcept {
  switch (s) {
    case batch_status::pending: return "PENDING";
    case batch_status::uploading: return "UPLOADING";
    case batch_status::validating: return "VALIDATING";
    case batch_status::in_progress: return "IN_PROGRESS";
    case batch_status::finalizing: return "FINALIZING";
    case batch_status::completed: return "COMPLETED";
    case batch_status::processed: return "PROCESSED";
    case batch_status::failed: return "FAILED";
    case batch_status::cancelling: return "CANCELLING";
    case batch_status::cancelled: return "CANCELLED";
    case batch_status::expired: return "EXPIRED";
  }
  return "PENDING";
}

std::optional<batch_status> parse_batch_status(std::string_view s) noexcept {
  if (s.size() > 32) return std::nullopt;
  const auto u = upper(s);
  for (int i = 0; i <= static_cast<int>(batch_status::expired); ++i)
    if (to_string(static_cast<batch_status>(i)) == u) return static_cast<batch_status>(i);
  return std::nullopt;
}

std::optional<batch_status> from_provider(std::string_view s) noexcept {
  if (s == "validating") return batch_status::validating;
  if (s == "in_progress") return batch_status::in_progress;
  if (s == "finalizing") return batch_status::finalizing;
  if (s == "completed") return batch_status::completed;
  if (s == "failed") return batch_status::failed;
  if (s == "cancelling") return batch_status::cancelling;
  if (s == "cancelled") return batch_status::cancelled;
  if (s == "expired") return batch_status::expired;
  return std::nullopt;
}

std::string encode_request(const provider_request& r) {
  bytes::writer w;
  w.u8(request_format);
  for (const auto* s : {&r.id, &r.item_id, &r.owner, &r.workspace, &r.pipeline, &r.stage, &r.provider, &r.model,
                        &r.kind, &r.endpoint, &r.body, &r.batch_id, &r.result, &r.error})
    w.str(*s);
  w.varint(r.attempt);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.u8(r.error_permanent ? 1 : 0);
  w.varint(r.requeues);
  for (auto v : {r.created_at_ms, r.updated_at_ms, r.failed_at_ms, r.prompt_tokens, r.completion_tokens}) w.i64(v);
  return std::move(w.out);
}

std::optional<provider_request> decode_request(std::string_view in) {
  bytes::reader rd(in);
  if (rd.u8() != request_format) return std::nullopt;
  provider_request r;
  for (auto* s : {&r.id, &r.item_id, &r.owner, &r.workspace, &r.pipeline, &r.stage, &r.provider, &r.model, &r.kind,
                  &r.endpoint, &r.body, &r.batch_id, &r.result, &r.error})
    *s = rd.str();
  r.attempt = static_cast<std::uint32_t>(rd.varint());
  auto status = rd.u8();
  if (!bytes::enum_in_range(status, request_status::processing_failed)) return std::nullopt;
  r.status = static_cast<request_status>(status);
  r.error_permanent = rd.u8() != 0;
  r.requeues = static_cast<std::uint32_t>(rd.varint());
  for (auto* v : {&r.created_at_ms, &r.updated_at_ms, &r.failed_at_ms, &r.prompt_tokens, &r.completion_tokens})
    *v = rd.i64();
  if (!rd.ok() || !rd.done() || r.id.empty()) return std::nullopt;
  return r;
}

std::string encode_batch(const batch_record& b) {
  bytes::writer w;
  w.u8(batch_format);
  for (const auto* s : {&b.id, &b.provider, &b.model, &b.endpoint, &b.provider_batch_id, &b.input_file_id,
                        &b.output_file_id, &b.error_file_id, &b.error})
    w.str(*s);
  w.u8(static_cast<std::uint8_t>(b.status));
  for (auto v : {b.requests, b.bytes, b.provider_completed, b.provider_failed, b.mapped_complete, b.mapped_failed,
                 b.requeued, b.unmatched, b.prompt_tokens, b.completion_tokens, b.created_at_ms, b.uploaded_at_ms,
                 b.submitted_at_ms, b.finished_at_ms, b.processed_at_ms, b.updated_at_ms})
    w.i64(v);
  return std::move(w.out);
}

std::optional<batch_record> decode_batch(std::string_view in) {
  bytes::reader rd(in);
  if (rd.u8() != batch_format) return std::nullopt;
  batch_record b;
  for (auto* s : {&b.id, &b.provider, &b.model, &b.endpoint, &b.provider_batch_id, &b.input_file_id, &b.output_file_id,
                  &b.error_file_id, &b.error})
    *s = rd.str();
  auto status = rd.u8();
  if (!bytes::enum_in_range(status, batch_status::expired)) return std::nullopt;
  b.status = static_cast<batch_status>(status);
  for (auto* v : {&b.requests, &b.bytes, &b.provider_completed, &b.provider_failed, &b.mapped_complete, &b.mapped_failed,
                  &b.requeued, &b.unmatched, &b.prompt_tokens, &b.completion_tokens, &b.created_at_ms, &b.uploaded_at_ms,
                  &b.submitted_at_ms, &b.finished_at_ms, &b.processed_at_ms, &b.updated_at_ms})
    *v = rd.i64();
  if (!rd.ok() || !rd.done() || b.id.empty()) return std::nullopt;
  return b;
}

std::string encode_members(const std::vector<std::string>& ids) {
  bytes::writer w;
  w.u8(members_format);
  w.varint(ids.size());
  for (const auto& id : ids) w.str(id);
  return std::move(w.out);
}

std::optional<std::vector<std::string>> decode_members(std::string_view in) {
  bytes::reader rd(in);
  if (rd.u8() != members_format) return std::nullopt;
  auto n = rd.count();
  std::vector<std::string> ids;
  ids.reserve(n);
  for (std::uint64_t i = 0; i < n && rd.ok(); ++i) ids.push_back(rd.str());
  if (!rd.ok() || !rd.done()) return std::nullopt;
  return ids;
}

std::string request_key(std::string_view id) { return tagged('r', id); }
std::string request_status_key(request_status s, std::string_view id) {
  std::string k(1, 's');
  k.push_back(static_cast<char>('0' + static_cast<int>(s)));
  k += id;
  return k;
}
std::string batch_key(std::string_view id) { return tagged('b', id); }
std::string batch_members_key(std::string_view id) { return tagged('m', id); }
std::string open_batch_key(std::string_view id) { return tagged('o', id); }
std::string request_link(std::string_view item_id) { return "req/" + std::string(item_id); }
std::string ready_link(std::string_view item_id) { return "ready/" + std::string(item_id); }
std::string stage_namespace(std::string_view pipeline, std::string_view stage) {
  return std::string(pipeline) + "/" + std::string(stage) + "/";
}

std::optional<provider_request> read_request(const database& db, std::string_view id) {
  auto v = get(db, cf::batches, request_key(id));
  if (!v) return std::nullopt;
  return decode_request(*v);
}

std::optional<batch_record> read_batch(const database& db, std::string_view id) {
  auto v = get(db, cf::batches, batch_key(id));
  if (!v) return std::nullopt;
  return decode_batch(*v);
}

std::vector<std::string> read_members(const database& db, std::string_view batch_id) {
  auto v = get(db, cf::batches, batch_members_key(batch_id));
  if (!v) return {};
  return decode_members(*v).value_or(std::vector<std::string>{});
}

std::optional<std::string> read_stage_value(const database& db, std::string_view key) {
  return get(db, cf::stage_data, std::string(key));
}

std::vector<std::pair<std::string, std::string>> requests_by_status(const database& db, request_status s,
                                                                     std::string_view after, std::size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string prefix = request_status_key(s, "");
  std::string start = prefix + std::string(after);
  if (!after.empty()) start.push_back('\0');
  scan(db, cf::batches, start, prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k.substr(prefix.size())), std::string(v));
    return out.size() < limit;
  });
  return out;
}

std::vector<std::string> open_batches(const database& db) {
  std::vector<std::string> out;
  scan(db, cf::batches, "o", "o", [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(1));
    return true;
  });
  return out;
}

std::vector<batch_record> list_batches(const database& db, std::string_view before, std::size_t limit) {
  std::vector<batch_record> out;
  const auto& d = db.internals();
  rocksdb::ReadOptions ro;
  std::string lower = "b";
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.handle(cf::batches)));
  if (before.empty()) it->SeekForPrev(slice(std::string("c")));
  else it->SeekForPrev(slice(batch_key(before)));
  for (; it->Valid() && out.size() < limit; it->Prev()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.empty() || k[0] != 'b') break;
    if (!before.empty() && k.substr(1) >= before) continue;
    if (auto b = decode_batch(std::string_view(it->value().data(), it->value().size()))) out.push_back(std::move(*b));
  }
  return out;
}

// write_set's Batch API records (declared in write_set.hpp).

void write_set::put_provider_request(const provider_request& r, std::optional<std::uint8_t> was) {
  const auto now = static_cast<request_status>(static_cast<std::uint8_t>(r.status));
  if (was) {
    const auto old = static_cast<request_status>(*was);
    if (old != now) {
      ops_.push_back({cf::batches, kind::erase, request_status_key(old, r.id), {}});
      count(r.workspace, std::string(counter_field(old)), -1);
    }
    if (old != now) {
      ops_.push_back({cf::batches, kind::put, request_status_key(now, r.id), r.provider + '\0' + r.model});
      count(r.workspace, std::string(counter_field(now)), 1);
    }
  } else {
    ops_.push_back({cf::batches, kind::put, request_status_key(now, r.id), r.provider + '\0' + r.model});
    count(r.workspace, std::string(counter_field(now)), 1);
  }
  ops_.push_back({cf::batches, kind::put, request_key(r.id), encode_request(r)});
}

void write_set::put_batch(const batch_record& b) {
  ops_.push_back({cf::batches, kind::put, batch_key(b.id), encode_batch(b)});
  if (b.settled()) ops_.push_back({cf::batches, kind::erase, open_batch_key(b.id), {}});
  else ops_.push_back({cf::batches, kind::put, open_batch_key(b.id), {}});
}

void write_set::put_batch_members(std::string_view batch_id, const std::vector<std::string>& request_ids) {
  ops_.push_back({cf::batches, kind::put, batch_members_key(batch_id), encode_members(request_ids)});
}

}  // namespace pw::store
