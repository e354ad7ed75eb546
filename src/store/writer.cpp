#include "store/writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <cerrno>

#include <map>
#include <unordered_set>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.hpp"
#include "core/kill_point.hpp"
#include "core/node_metrics.hpp"
#include "store/event_chunk.hpp"
#include "store/rocks.hpp"

namespace pw::store {

namespace {

rocksdb::Slice slice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

// Events of one room committed in one batch share a key (a chunk) under
// the seq of the first, up to this many.
constexpr std::size_t max_chunk = 64;

// A room is trimmed when its seq crosses a multiple of this: every 64 events,
// or every 1/16 of the retention when that is more. Each trim is a range
// tombstone that every reader of the room's log sorts until the memtable
// is flushed, so fewer of them keep replays cheap; the price is up to
// 1/16 more events kept than the retention asks.
std::uint64_t trim_period(std::size_t retention) { return std::max<std::uint64_t>(64, retention / 16); }

// What a person needs to know about a refused write.
std::string cause_of(const rocksdb::Status& st) {
  const auto text = st.ToString();
  if (st.IsNoSpace() || text.find("No space left") != std::string::npos) return "no space left on device";
  if (text.find("Read-only file system") != std::string::npos) return "the file system is read-only";
  if (text.find("Input/output error") != std::string::npos) return "the disk reported an input/output error";
  if (text.find("Operation not permitted") != std::string::npos || text.find("Permission denied") != std::string::npos)
    return "the data dir is not writable";
  return "the store refused a write: " + text;
}

// A failed write-ahead log append cannot be taken back by Resume() in
// RocksDB 7.8 (docs/reliability.md): this process writes no more.
std::string wal_lost(const std::string& cause) {
  return cause + "; the write-ahead log failed and RocksDB cannot resume it: restart the node once the data dir is writable";
}

}  // namespace

writer::writer(database& db, writer_options opts, publish_fn publish)
    : db_(db), opts_(opts), publish_(std::move(publish)), thread_([this] { run(); }) {}

writer::~writer() { stop(); }

writer::outcome writer::commit(write_set ws, const done_fn& done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || failed_) return outcome::failed;
    if (opts_.sync || committing_ || !queue_.empty() || busy(std::chrono::steady_clock::now())) {
      queue_.push_back(request{std::move(ws), done});
      if (!committing_) cv_.notify_one();
      return outcome::queued;
    }
    committing_ = true;
  }
  std::vector<request> group;
  group.push_back(request{std::move(ws), nullptr});
  const bool ok = commit_group(group);
  {
    std::lock_guard lock(mu_);
    ++stats_.inline_commits;
  }
  end_turn();
  return ok ? outcome::committed : outcome::failed;
}

void writer::submit(write_set ws, done_fn done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && !failed_) {
      queue_.push_back(request{std::move(ws), std::move(done)});
      if (!committing_) cv_.notify_one();
      return;
    }
  }
  if (done) done(false);
}

// Commits that follow each other closely share batches: one WAL write, one
// counter record and one event chunk per room for many transitions. A commit
// that comes after a quiet spell goes out on its caller's thread at once.
bool writer::busy(std::chrono::steady_clock::time_point now) const {
  return now - last_commit_ < std::chrono::microseconds(100);
}

void writer::end_turn() {
  std::lock_guard lock(mu_);
  last_commit_ = std::chrono::steady_clock::now();
  committing_ = false;
  // The writer thread also wakes to try a failed store again.
  if (!queue_.empty() || stopping_ || failed_) cv_.notify_one();
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

std::optional<std::string> writer::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void writer::run() {
  pthread_setname_np(pthread_self(), "pw-writer");  // for top and perf
  std::vector<request> group;
  auto next_recovery = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return (!committing_ && !queue_.empty()) || (stopping_ && !committing_ && queue_.empty()); };
      if (failed_) cv_.wait_until(lock, next_recovery, ready);
      else cv_.wait(lock, [&] { return ready() || failed_; });  // a failure on a caller's thread wakes it too
      if (stopping_ && !committing_ && queue_.empty()) return;  // everything submitted is committed (or refused)
      if (committing_ || queue_.empty()) {
        // Woken to try the store again.
        if (committing_ || !failed_) continue;
        committing_ = true;
        lock.unlock();
        try_recover();
        next_recovery = std::chrono::steady_clock::now() + opts_.recovery_interval;
        end_turn();
        continue;
      }
      const std::size_t n = std::min(queue_.size(), opts_.max_group);
      group.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = true;
    }
    commit_group(group);
    group.clear();
    end_turn();
  }
}

void writer::fail(const std::string& cause) {
  // What this turn cached may not be what is stored: read again after recovery.
  counters_.clear();
  room_seqs_.clear();
  std::lock_guard lock(mu_);
  if (!failed_) failed_at_ = std::chrono::steady_clock::now();
  failure_ = cause;
  failed_ = true;
}

// RocksDB's background-error recovery: Resume() clears the error once its
// cause is gone (it flushes the memtables again); a probe write (the layout
// key, rewritten with its value) proves that writes get through.
std::optional<std::string> writer::disk_problem() const {
  struct statvfs fs {};
  if (::statvfs(opts_.dir.c_str(), &fs) == 0) {
    if (fs.f_flag & ST_RDONLY) return "the file system is read-only";
    if (static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < opts_.min_free_bytes) return "no space left on device";
  }
  if (::access(opts_.dir.c_str(), W_OK) != 0)
    return errno == EROFS ? "the file system is read-only" : "the data dir is not writable";
  return std::nullopt;
}

void writer::try_recover() {
  bool rocks = false, wal = false;
  {
    std::lock_guard lock(mu_);
    rocks = rocks_failed_;
    wal = wal_failed_;
  }
  auto still = [&](const std::string& cause) {
    std::lock_guard lock(mu_);
    if (failure_ != cause) spdlog::warn("event=store.still_failing cause=\"{}\"", cause);
    failure_ = cause;
  };
  std::optional<std::string> problem;
  if (!opts_.dir.empty()) problem = disk_problem();
  if (wal) {
    // The first cause stays (a kernel that turned the filesystem read-only
    // after an error shows no read-only flag to statvfs).
    std::string cause;
    {
      std::lock_guard lock(mu_);
      cause = failure_.value_or("");
    }
    return still(problem ? wal_lost(*problem) : cause);
  }
  if (problem) return still(*problem);
  auto& d = db_.internals();
  rocksdb::Status st;
  if (rocks) st = d.db->Resume();
  if (rocks && st.ok()) {
    rocksdb::WriteBatch probe;
    probe.Put(d.handle(cf::meta), "layout", std::string(1, '\3'));
    rocksdb::WriteOptions wo;
    wo.sync = opts_.sync;
    st = d.db->Write(wo, &probe);
  }
  if (!st.ok()) return still(cause_of(st));
  std::chrono::steady_clock::time_point since;
  {
    std::lock_guard lock(mu_);
    since = failed_at_;
    failure_.reset();
    failed_ = false;
    rocks_failed_ = false;
  }
  spdlog::warn("event=store.recovered after_ms={}",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
  if (recovered_) recovered_();
}

std::uint64_t& writer::room_seq(const std::string& room) {
  auto it = room_seqs_.find(room);
  if (it == room_seqs_.end()) it = room_seqs_.emplace(room, db_.last_event_seq(room)).first;
  return it->second;
}

bool writer::commit_group(std::vector<request>& group) {
  const auto now_steady = std::chrono::steady_clock::now();
  if (!failed_ && !opts_.dir.empty() && now_steady - disk_checked_ >= std::chrono::milliseconds(50)) {
    disk_checked_ = now_steady;
    if (auto problem = disk_problem()) {
      spdlog::critical("event=store.writes_refused cause=\"{}\" dir={}", *problem, opts_.dir);
      fail(*problem);
    }
  }
  if (failed_) {
    for (auto& r : group)
      if (r.done) r.done(false);
    return false;
  }
  auto& d = db_.internals();
  rocksdb::WriteBatch batch;
  std::vector<committed_event> events;
  std::unordered_set<std::string> touched_counters, trim_rooms;
  // Events of each room in this batch, in seq order: (first seq, chunk).
  std::map<std::string, std::vector<std::pair<std::uint64_t, event_chunk_writer>>> chunks;

  // Every frame carries its commit time: clients see when, retention trims by it.
  const auto now = core::now_ms();
  const std::string at = core::iso8601(now);
  bool outboxed = false;
  auto* outbox_cf = d.handle(cf::outbox);
  for (auto& r : group) {
    r.ws.seal();
    for (const auto& op : r.ws.ops()) {
      auto* h = d.handle(op.family);
      switch (op.what) {
        case write_set::kind::put: batch.Put(h, slice(op.key), slice(op.value)); break;
        case write_set::kind::merge: batch.Merge(h, slice(op.key), slice(op.value)); break;
        case write_set::kind::erase: batch.Delete(h, slice(op.key)); break;
        case write_set::kind::single_erase: batch.SingleDelete(h, slice(op.key)); break;
        case write_set::kind::erase_range: batch.DeleteRange(h, slice(op.key), slice(op.value)); break;
      }
    }
    for (const auto& c : r.ws.counters()) {
      auto it = counters_.find(c.workspace);
      if (it == counters_.end()) it = counters_.emplace(c.workspace, db_.counters_of(c.workspace)).first;
      it->second.add(c.field, c.delta);
      touched_counters.insert(c.workspace);
    }
    for (const auto& e : r.ws.events()) {
      if (opts_.local_room && !opts_.local_room(e.room)) {
        // Its room's log lives on another node: the outbox takes it to there.
        if (!outbox_seq_) outbox_seq_ = db_.last_outbox_seq();
        std::string v = e.room;
        v += '\0';
        v += e.json_tail;
        batch.Put(outbox_cf, slice(outbox_key(++*outbox_seq_)), slice(v));
        outboxed = true;
        continue;
      }
      auto seq = ++room_seq(e.room);
      auto frame = std::make_shared<const std::string>(make_frame(seq, at, e.json_tail));
      auto& room_chunks = chunks[e.room];
      if (room_chunks.empty() || room_chunks.back().first + max_chunk <= seq) room_chunks.emplace_back(seq, event_chunk_writer(now));
      room_chunks.back().second.add(e.json_tail);
      if (seq % trim_period(opts_.event_retention) == 0) trim_rooms.insert(e.room);
      events.push_back(committed_event{e.room, seq, std::move(frame)});
    }
  }
  auto* events_cf = d.handle(cf::events);
  auto* meta_cf = d.handle(cf::meta);
  for (const auto& [room, list] : chunks) {
    for (const auto& [first, chunk] : list) batch.Put(events_cf, slice(event_key(room, first)), slice(chunk.bytes()));
    // A room's last seq is its newest chunk's; it is written to meta only
    // when a trim could delete every chunk, so that it survives them.
    // Trimming happens when a room's seq crosses a multiple of trim_period
    // rather than on every event: a range tombstone per event would slow
    // reads down. The chunks before the one that holds the oldest event to
    // keep go: up to trim_period + max_chunk events more than the retention stay.
    const auto seq = room_seqs_[room];
    const auto keep = opts_.event_retention;
    if (trim_rooms.count(room) && seq > keep) {
      std::string v;
      put_be64(v, seq);
      batch.Put(meta_cf, slice(room_seq_key(room)), slice(v));
      if (auto start = db_.event_chunk_start(room, seq - keep + 1); start > 0)
        batch.DeleteRange(events_cf, slice(event_key(room, 0)), slice(event_key(room, start)));
    }
  }
  for (const auto& ws : touched_counters)
    batch.Put(meta_cf, slice(counter_pack_key(ws)), slice(encode_counter_pack(counters_[ws])));

  rocksdb::WriteOptions wo;
  wo.sync = opts_.sync;
  const auto t0 = std::chrono::steady_clock::now();
  PW_KILL_POINT(writer_before_write);
  auto st = d.db->Write(wo, &batch);
  const bool ok = st.ok();
  const auto committed = std::chrono::steady_clock::now();
  const auto committed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(committed.time_since_epoch()).count();
  for (auto& e : events) e.committed_ns = committed_ns;
  if (ok && opts_.metrics)
    opts_.metrics->writer_commit(group.size(), batch.Count(), batch.GetDataSize(),
                                 std::chrono::duration<double>(committed - t0).count());
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
    stats_.write_sets += group.size();
    if (ok) {
      stats_.keys += batch.Count();
      stats_.bytes += batch.GetDataSize();
    } else {
      ++stats_.failures;
    }
  }
  if (!ok) {
    // RocksDB stops accepting writes after an I/O error; so do we, at once
    // and with the cause, until the store is writable again (run()).
    spdlog::critical("event=store.write_failed batch={} cause=\"{}\" error=\"{}\"", group.size(), cause_of(st),
                     st.ToString());
    const bool wal = st.ToString().find(".log") != std::string::npos;
    fail(wal ? wal_lost(cause_of(st)) : cause_of(st));
    // What this turn cached may not be what is stored.
    counters_.clear();
    room_seqs_.clear();
    outbox_seq_.reset();
    std::lock_guard lock(mu_);
    rocks_failed_ = true;
    wal_failed_ = wal_failed_ || wal;
  }
  // A handoff wrote or erased these underneath the caches.
  for (auto& r : group) {
    for (const auto& w : r.ws.reload_workspaces()) counters_.erase(w);
    for (const auto& room : r.ws.reload_rooms()) room_seqs_.erase(room);
  }
  if (ok) PW_KILL_POINT(writer_after_write);
  // Events go out before the answers of the same batch: an answer never
  // overtakes an event that was committed with it or before it.
  if (ok && !events.empty() && publish_) publish_(std::move(events));
  if (ok) PW_KILL_POINT(writer_after_publish);
  if (ok && outboxed && opts_.outboxed) opts_.outboxed();
  for (auto& r : group)
    if (r.done) r.done(ok);
  return ok;
}

}  // namespace pw::store
