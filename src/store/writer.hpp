// The store's writer: turns write sets into committed RocksDB batches, gives
// each event its room's next seq inside the batch that commits it, and hands
// the committed events, in commit order, to the event sink.
//
// Two ways in. commit() writes on the calling thread when it can: without
// fsync (store.sync = false), when no other thread is committing and no
// commit ended in the last 100 µs, the caller's write is durable (in the
// WAL) when commit() returns, with no thread hop. Otherwise the write is
// queued for the writer thread, which merges everything queued into one
// batch (group commit: one WAL write and, with fsync, one fsync for the
// whole group) and calls each `done` when its batch is in. So a node at rest
// answers with no hop, and a busy one writes in groups. submit() always queues.
//
// Before a batch is written the writer looks at the data dir's filesystem
// (at most every 50 ms): read-only, not writable by us, or less than
// min_free_bytes free, the batch is refused and so is every later write,
// with the cause (failure()), before RocksDB ever sees the disk full. Should
// RocksDB refuse a write anyway (an I/O error, a disk that filled between
// two looks), the same happens. Every recovery_interval the writer thread
// looks again; once the cause is gone (and, if RocksDB had failed, RocksDB's
// background-error recovery, Resume(), and a probe write succeed) writes flow
// again and on_recovered is called, so that work parked meanwhile goes on.
// A write-ahead log that failed mid-append cannot be resumed by RocksDB 7.8
// (facebook/rocksdb#11643: the next append asserts): then the node keeps
// refusing writes and says that it needs a restart. Nothing that was
// committed is lost; a refused write was never committed and its caller
// was told so.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/counters.hpp"
#include "store/database.hpp"
#include "store/write_set.hpp"

namespace pw::core {
class node_metrics;
}

namespace pw::store {

struct writer_options {
  bool sync = false;
  std::size_t event_retention = 10000;  // events kept per room
  std::size_t max_group = 2048;         // write sets merged into one batch at most
  core::node_metrics* metrics = nullptr;  // batch sizes and commit time, when set
  std::chrono::milliseconds recovery_interval{500};  // while writes are refused: how often to try again
  std::string dir;                     // the data dir, looked at before writes ("": never)
  std::uint64_t min_free_bytes = 0;    // less free than this on its filesystem: writes are refused
  // (cluster) Whether a room's event log lives on this node. Events for any
  // other room go to the outbox in the same batch (their node gives them
  // their seq) and `outboxed` is called once the batch committed. Asked
  // under the writer's turn, so a room that moves away mid-stream is told
  // apart between two batches, never inside one. Null: every room is local.
  std::function<bool(std::string_view room)> local_room;
  std::function<void()> outboxed;
};

struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t write_sets = 0;
  std::uint64_t inline_commits = 0;  // write sets committed on their caller's thread
  std::uint64_t keys = 0;            // puts, merges, deletes and range deletes committed
  std::uint64_t bytes = 0;           // size of the committed batches
  std::uint64_t failures = 0;
};

class writer {
 public:
  // Called once per queued write set, on the committing thread, after its
  // batch committed (ok) or failed. Must not block.
  using done_fn = std::function<void(bool ok)>;
  // Called with the events of each committed batch, in seq order per room,
  // one batch at a time, in commit order.
  using publish_fn = std::function<void(std::vector<committed_event>&&)>;
  // Called on the writer thread when writes work again after a failure.
  using recovered_fn = std::function<void()>;

  enum class outcome { committed, failed, queued };

  writer(database& db, writer_options opts, publish_fn publish);
  ~writer();  // stops (see stop())
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Thread-safe. committed / failed: done already (`done` is not called);
  // queued: `done` will be called on the writer thread.
  outcome commit(write_set ws, const done_fn& done);
  // Thread-safe; `done` is called on the writer thread. After stop() (or a
  // failed write), `done` is called with false at once.
  void submit(write_set ws, done_fn done);
  // Commits what was submitted so far, then stops the thread.
  void stop();
  bool healthy() const noexcept { return !failed_.load(); }
  // Why writes are refused ("no space left on device", ...); nullopt while healthy.
  std::optional<std::string> failure() const;
  // Set before writes start.
  void on_recovered(recovered_fn fn) { recovered_ = std::move(fn); }
  writer_stats stats() const;

 private:
  struct request {
    write_set ws;
    done_fn done;
  };
  void run();
  bool commit_group(std::vector<request>& group);
  void end_turn();
  void fail(const std::string& cause);
  void try_recover();
  // Why the data dir cannot take writes now (read-only, not writable, full), or nullopt.
  std::optional<std::string> disk_problem() const;
  bool busy(std::chrono::steady_clock::time_point now) const;  // under mu_
  std::uint64_t& room_seq(const std::string& room);

  database& db_;
  writer_options opts_;
  publish_fn publish_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<request> queue_;
  bool committing_ = false;  // a thread holds the turn: only it touches the batch state below
  std::chrono::steady_clock::time_point last_commit_{};
  bool stopping_ = false;
  std::atomic<bool> failed_{false};
  std::optional<std::string> failure_;
  std::chrono::steady_clock::time_point failed_at_{};
  recovered_fn recovered_;
  bool rocks_failed_ = false;   // RocksDB itself refused a write (under mu_)
  bool wal_failed_ = false;     // ... in its write-ahead log: not resumable (under mu_)
  std::chrono::steady_clock::time_point disk_checked_{};  // owned by the turn
  writer_stats stats_;

  // Owned by whichever thread holds the turn.
  std::unordered_map<std::string, counter_pack> counters_;  // by workspace
  std::unordered_map<std::string, std::uint64_t> room_seqs_;
  std::optional<std::uint64_t> outbox_seq_;  // the last outbox key used, read on first use

  std::thread thread_;
};

}  // namespace pw::store
