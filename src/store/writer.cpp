#include "store/writer.hpp"

#include <pthread.h>

#include <unordered_set>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/node_metrics.hpp"
#include "store/rocks.hpp"

namespace pw::store {

namespace {
rocksdb::Slice slice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }
}  // namespace

writer::writer(database& db, writer_options opts, publish_fn publish)
    : db_(db), opts_(opts), publish_(std::move(publish)), thread_([this] { run(); }) {}

writer::~writer() { stop(); }

void writer::submit(write_set ws, done_fn done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && !failed_) {
      queue_.push_back(request{std::move(ws), std::move(done)});
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  if (done) done(false);
}

void writer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

writer_stats writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void writer::run() {
  pthread_setname_np(pthread_self(), "pw-writer");  // for top and perf
  std::vector<request> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is committed
      const std::size_t n = std::min(queue_.size(), opts_.max_group);
      group.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit(group);
    group.clear();
  }
}

std::uint64_t& writer::room_seq(const std::string& room) {
  auto it = room_seqs_.find(room);
  if (it == room_seqs_.end()) it = room_seqs_.emplace(room, db_.last_event_seq(room)).first;
  return it->second;
}

void writer::commit(std::vector<request>& group) {
  if (failed_) {
    for (auto& r : group)
      if (r.done) r.done(false);
    return;
  }
  auto& d = db_.internals();
  rocksdb::WriteBatch batch;
  std::vector<committed_event> events;
  std::unordered_set<std::string> touched_counters, touched_rooms, trim_rooms;
  constexpr std::uint64_t trim_every = 64;

  // Every frame carries its commit time: clients see when, retention trims by it.
  const std::string at = "\"at\":\"" + core::iso8601(core::now_ms()) + "\",";
  for (auto& r : group) {
    for (const auto& op : r.ws.ops()) {
      switch (op.what) {
        case write_set::kind::put: batch.Put(d.handle(op.family), slice(op.key), slice(op.value)); break;
        case write_set::kind::erase: batch.Delete(d.handle(op.family), slice(op.key)); break;
        case write_set::kind::erase_range:
          batch.DeleteRange(d.handle(op.family), slice(op.key), slice(op.value));
          break;
      }
    }
    for (const auto& [name, delta] : r.ws.counters()) {
      auto it = counters_.find(name);
      if (it == counters_.end()) it = counters_.emplace(name, db_.counter(name)).first;
      it->second += delta;
      touched_counters.insert(name);
    }
    for (const auto& e : r.ws.events()) {
      auto seq = ++room_seq(e.room);
      auto frame = std::make_shared<std::string>();
      frame->reserve(e.json_tail.size() + 24);
      *frame += "{\"seq\":";
      *frame += std::to_string(seq);
      *frame += ',';
      *frame += at;
      *frame += e.json_tail;
      *frame += '}';
      batch.Put(d.handle(cf::events), slice(event_key(e.room, seq)), slice(*frame));
      touched_rooms.insert(e.room);
      if (seq % trim_every == 0) trim_rooms.insert(e.room);
      events.push_back(committed_event{e.room, seq, std::move(frame)});
    }
  }
  for (const auto& name : touched_counters) {
    std::string v;
    put_be64(v, static_cast<std::uint64_t>(counters_[name]));
    batch.Put(d.handle(cf::meta), slice(counter_key(name)), slice(v));
  }
  for (const auto& room : touched_rooms) {
    const auto seq = room_seqs_[room];
    std::string v;
    put_be64(v, seq);
    batch.Put(d.handle(cf::meta), slice(room_seq_key(room)), slice(v));
    // Trim the replay log when a room's seq crosses a multiple of trim_every
    // rather than on every event: a range tombstone per event would slow
    // reads down. Up to trim_every - 1 events more than the retention stay.
    const auto keep = opts_.event_retention;
    if (seq > keep && trim_rooms.count(room))
      batch.DeleteRange(d.handle(cf::events), slice(event_key(room, 0)), slice(event_key(room, seq - keep + 1)));
  }

  rocksdb::WriteOptions wo;
  wo.sync = opts_.sync;
  const auto t0 = std::chrono::steady_clock::now();
  auto st = d.db->Write(wo, &batch);
  const bool ok = st.ok();
  const auto committed = std::chrono::steady_clock::now();
  for (auto& e : events) e.committed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(committed.time_since_epoch()).count();
  if (ok && opts_.metrics) opts_.metrics->writer_commit(group.size(), batch.Count(), batch.GetDataSize(), std::chrono::duration<double>(committed - t0).count());
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
    stats_.write_sets += group.size();
    if (ok) {
      stats_.keys += batch.Count();
      stats_.bytes += batch.GetDataSize();
    }
    if (!ok) ++stats_.failures;
  }
  if (!ok) {
    // RocksDB stops accepting writes after an I/O error; so do we, loudly.
    failed_ = true;
    spdlog::critical("event=store.write_failed batch={} error=\"{}\"", group.size(), st.ToString());
  }
  for (auto& r : group)
    if (r.done) r.done(ok);
  if (ok && !events.empty() && publish_) publish_(std::move(events));
}

}  // namespace pw::store
