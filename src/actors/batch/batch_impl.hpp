// Internal to src/actors/batch: the batch service's state and steps. The
// thread, the registry and start-up are in service.cpp; the creator in
// creator.cpp; the poller and the mapping of results in poller.cpp.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "actors/batch/service.hpp"
#include "core/ids.hpp"
#include "stages/providers/gate.hpp"
#include "store/batch_records.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

// A provider's JSON answer (a file, a batch) as an object; nothing when it is not one.
std::optional<boost::json::object> object_of(const std::string& text);
// A string member of such an answer; "" when it is missing or not a string.
std::string string_member(const boost::json::object& o, std::string_view key);

struct registration {
  stages::providers::batch_request request;
  std::function<void(stages::stage_outcome)> done;
};

struct batch_service::impl : std::enable_shared_from_this<batch_service::impl> {
  impl(const core::config& c, const store::database& d, store::writer& w, stages::providers::hub& h, timer_service& t,
       wake_fn wk)
      : cfg(c), db(d), writer(w), hub(h), timers(t), wake(std::move(wk)) {}

  const core::config& cfg;
  const store::database& db;
  store::writer& writer;
  stages::providers::hub& hub;
  timer_service& timers;
  wake_fn wake;
  core::id_generator ids;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  std::vector<registration> registrations;
  bool stopping = false;
  std::thread thread;
  timer_service::timer_id creator_timer = 0, poller_timer = 0;

  // service.cpp
  bool post(std::function<void()> job);  // false once stopped
  void run();
  // Commits on the writer and waits: what this thread reads next includes it.
  bool commit(store::write_set ws);
  void register_all(std::vector<registration>& regs);
  void register_one(registration& r, store::write_set& ws, std::vector<std::pair<registration*, stages::stage_outcome>>& answers,
                    std::set<std::string>& linked);
  void wake_ready();
  void do_requeue(const std::vector<std::string>& ids, requeue_report& report);
  // Calls the provider through its gate; `then` runs on this thread.
  void call(const std::string& provider, stages::providers::http_call c,
            std::function<void(stages::providers::http_outcome)> then);
  // Sends wakes for these items (deduplicated).
  void wake_items(std::vector<std::string> items);

  // creator.cpp
  bool creating = false;
  std::set<std::string> look_first;  // batches found unfinished at start: ask the provider before acting
  void schedule_creator();
  void creator_tick();
  void take_pending();
  void advance(store::batch_record b);
  void upload(store::batch_record b);
  void create(store::batch_record b);
  void find_file(store::batch_record b);
  void find_batch(store::batch_record b);
  void creation_failed(store::batch_record b, const stages::providers::http_outcome& o);
  std::string jsonl_of(const store::batch_record& b, std::vector<std::string>* too_big = nullptr);

  // poller.cpp
  bool polling = false;
  void schedule_poller();
  void poller_tick();
  void poll_next(std::shared_ptr<std::vector<std::string>> ids, std::size_t i);
  void mirror(store::batch_record b, const std::string& provider_json, std::shared_ptr<std::vector<std::string>> ids,
              std::size_t i);
  void download(store::batch_record b, std::shared_ptr<std::vector<std::string>> ids, std::size_t i);
  void map_back(store::batch_record b, const std::string& output, const std::string& errors);
  // A FAILED, expired or cancelled batch (or one whose creation failed for
  // good): what its unanswered requests become.
  void settle_unanswered(store::batch_record& b, store::provider_request& r, const std::string& why,
                         std::vector<std::string>& woken, store::write_set& ws);
};

// The batch stage's namespace in stage_data, and the link keys in it.
std::string link_key(const store::provider_request& r);
std::string ready_key(const store::provider_request& r);

}  // namespace pw::actors
