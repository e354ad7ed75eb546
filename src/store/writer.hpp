// The store's only writer: one thread that takes every pending write_set,
// merges them into one RocksDB WriteBatch, commits it (fsync when `sync`),
// then answers each submitter and hands the committed events, in commit
// order, to the event sink. Group commit: the write rate is not bounded by
// one write call per transition.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

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
};

struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t write_sets = 0;
  std::uint64_t keys = 0;   // puts, deletes and range deletes committed
  std::uint64_t bytes = 0;  // size of the committed batches
  std::uint64_t failures = 0;
};

class writer {
 public:
  // Called once per write set, on the writer thread, after its batch
  // committed (ok) or failed. Must not block.
  using done_fn = std::function<void(bool ok)>;
  // Called with the events of each committed batch, in seq order per room.
  using publish_fn = std::function<void(std::vector<committed_event>&&)>;

  writer(database& db, writer_options opts, publish_fn publish);
  ~writer();  // stops (see stop())
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Thread-safe. After stop() (or a failed write), `done` is called with
  // false at once.
  void submit(write_set ws, done_fn done);
  // Commits what was submitted so far, then stops the thread.
  void stop();
  bool healthy() const noexcept { return !failed_.load(); }
  writer_stats stats() const;

 private:
  struct request {
    write_set ws;
    done_fn done;
  };
  void run();
  void commit(std::vector<request>& group);
  std::uint64_t& room_seq(const std::string& room);

  database& db_;
  writer_options opts_;
  publish_fn publish_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<request> queue_;
  bool stopping_ = false;
  std::atomic<bool> failed_{false};
  writer_stats stats_;

  // Owned by the writer thread.
  std::unordered_map<std::string, std::int64_t> counters_;
  std::unordered_map<std::string, std::uint64_t> room_seqs_;

  std::thread thread_;
};

}  // namespace pw::store
