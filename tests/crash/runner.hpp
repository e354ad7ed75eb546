// The crash-test runner (pw-crashtest), in the style of RocksDB's
// db_crashtest: it drives a real `pipewright serve` under mixed load, kills
// it (at a kill point chosen by the environment, or at a random instant),
// restarts it, and checks after every round that nothing accepted was lost,
// no completed stage ran again, every item is finished or resumable, the
// store is consistent (`pipewright verify`: counters equal a full scan,
// indexes, timers and dead letters match the items) and each user's events
// come with seqs that have no gap and no repeat across the restart. The soak
// mode runs the same load at a fixed rate for a long time, with a kill -9
// every few minutes, and samples the server's memory and file descriptors.
#pragma once

#include <functional>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "process.hpp"
#include "ws.hpp"

namespace pwcrash {

struct options {
  int rounds = 10;
  std::uint64_t seed = 0;          // 0: from the clock (printed)
  std::string out;                 // a directory for the JSON report; empty: none
  // soak mode
  bool soak = false;
  int soak_seconds = 3600;
  int kill_every_s = 600;
  int sample_every_s = 60;
  int warmup_s = 600;
  int steady_after_s = 120;        // samples this long after a (re)start count as steady
  double rate = 40;                // items a second the soak submits
  double max_drift = 0.05;         // RSS and open-file drift allowed after the warm-up; < 0: reported only
  std::size_t keep = 0;            // the client deletes its oldest items beyond this many (a retention policy); 0: none
};
options parse_options(int argc, char** argv);

inline constexpr int users = 6;
std::string user_name(int u);
const std::string& token_of(int u);   // a user's token (workspaces ws-a, ws-b)
const std::string& admin_token();
std::string server_config(const std::string& extra_limits = {});  // chaos backends that fail, crash, hang and retry

// What the runner knows: every item it was told was accepted, what it asked
// to delete, the problems found. Shared by the load threads.
class model {
 public:
  struct item {
    std::string id;
    int user = 0;
    bool deleted = false;         // a delete was answered 2xx
    bool delete_unsure = false;   // a delete got no answer (the node died)
    bool settled = false;         // seen finished with a checked history, and not touched since
    int round = 0;
  };
  void accepted(const std::string& id, int user, int round);
  // A random known item (recent ones more often), or nullopt.
  std::optional<item> pick(std::mt19937_64& rng);
  void deleted(const std::string& id, bool sure);
  // Whether a delete of the item was answered, or may have been (now, not
  // when a thread picked it: the operator and the retention thread race).
  bool maybe_deleted(const std::string& id) const;
  void touched(const std::string& id);  // an operator's action: its history changes
  void settled(const std::string& id);
  std::vector<item> snapshot() const;
  std::size_t size() const;
  // The oldest item not known deleted, when more than `keep` are not (a
  // client's retention policy deletes it).
  std::optional<item> oldest_beyond(std::size_t keep);
  void problem(const std::string& what);
  std::vector<std::string> problems() const;
  std::size_t problem_count() const;
  // Idempotency keys that were answered: a later POST with the same key and
  // body must answer the same item, across restarts.
  struct keyed {
    std::string key, body, id;
    int user = 0;
  };
  void remember_key(keyed k);
  std::optional<keyed> random_key(std::mt19937_64& rng) const;

 private:
  mutable std::mutex mu_;
  std::vector<keyed> keys_;
  std::vector<item> items_;
  std::map<std::string, std::size_t> index_;
  std::size_t deleted_count_ = 0;
  std::size_t oldest_ = 0;  // items before it are all deleted
  std::vector<std::string> problems_;
};

// One user's events, over every socket the runner opened for them.
struct event_view {
  std::uint64_t last = 0;        // the newest seq seen
  std::size_t frames = 0;        // frames with a seq seen
  std::unique_ptr<pwtest::ws_client> socket;
  std::size_t consumed = 0;      // frames of `socket` already looked at
};

class event_watch {
 public:
  explicit event_watch(model& m) : model_(m) {}
  // `node_alive` is asked when a socket (now or a replaying one later) does
  // not connect: a node that died at its kill point meanwhile is no problem (round 21 of seed 20261207
  // was killed at supervisor.act before its sockets were up).
  void connect_all(std::uint16_t port, const std::function<bool()>& node_alive);
  // Takes in new frames: each seq must be the one after the last.
  void absorb();
  // Drops one socket without a close (a vanished client) and reconnects it
  // with ?since= (a replaying socket).
  void replay_one(std::uint16_t port, std::mt19937_64& rng);
  void close_all();
  std::uint64_t total_frames() const;
  std::uint64_t last_seq(int view) const { return views_[view].last; }
  static constexpr int admin_view = users;  // the admins room, seen by an admin's socket

 private:
  void connect(int view, std::uint16_t port);
  model& model_;
  std::function<bool()> node_alive_ = [] { return true; };  // from connect_all, for reconnects too
  event_view views_[users + 1];
};

// Mixed load against a running node until stop(): submitters (some with an
// Idempotency-Key, some replayed), an operator (pause, resume, cancel,
// retry, rerun, rollback, delete, DLQ requeue, bulk retry).
class load {
 public:
  // rate 0: as fast as it goes; keep > 0: a retention thread deletes the
  // oldest items beyond `keep`.
  load(std::uint16_t port, model& m, std::uint64_t seed, int round, double rate_per_s, std::size_t keep = 0);
  ~load();
  void stop();
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t actions() const { return actions_; }

 private:
  void submitter(int k);
  void retention();
  void operator_loop();
  std::uint16_t port_;
  model& model_;
  std::uint64_t seed_;
  int round_;
  double rate_;
  std::size_t keep_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> accepted_{0}, actions_{0};
  std::vector<std::thread> threads_;
};

// After a restart: items accepted are there, the unsettled ones that
// finished have histories where no completed stage ran again. `all` checks
// every item. Returns how many items it looked at.
std::size_t check_items(std::uint16_t port, model& m, bool all);
// Waits until every item that is not deleted is finished (resuming paused
// ones); false on timeout.
bool wait_all_finished(std::uint16_t port, model& m, std::chrono::seconds timeout);
// `pipewright verify --json` on the stopped node's data dir; problems go to the model.
boost::json::object verify_store(const std::string& data_dir, model& m);
// A fresh socket per user from seq 0: the whole log is there, without a gap.
void check_full_replay(std::uint16_t port, model& m, const event_watch& w);

// Waits for /readyz, or for the process to die (a kill point during
// recovery); true when ready.
bool wait_ready_or_dead(pwtest::server_process& srv, std::chrono::seconds timeout);
// The kill point the server's log says it hit since `from` bytes, or "".
std::string kill_point_hit(const std::string& log, std::size_t from);

int run_rounds(const options& o);
int run_soak(const options& o);

}  // namespace pwcrash
