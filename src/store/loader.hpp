// The loader: one thread that runs the store reads actors need (an item to
// act on, the ids behind a bulk action) and answers with a callback, so
// that no RocksDB call ever runs on an actor scheduler thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/pipeline.hpp"
#include "core/status.hpp"
#include "store/database.hpp"
#include "store/recovery.hpp"

namespace pw::store {

class loader {
 public:
  loader(const database& db, const std::map<std::string, core::pipeline>& pipelines);
  ~loader();
  loader(const loader&) = delete;
  loader& operator=(const loader&) = delete;

  // Callbacks run on the loader thread and must only post (anon_send).
  void load_item(std::string id, std::function<void(std::optional<stored_item>)> done);
  // Ids of a workspace's items in any of `statuses` (only `owner`'s when
  // given), newest first, at most `limit`.
  void ids_by_status(std::string workspace, std::optional<std::string> owner, std::vector<core::item_status> statuses,
                     std::size_t limit, std::function<void(std::vector<std::string>)> done);
  // (item id, stage) of open dead letters, oldest key first, at most `limit`.
  void dead_letters(std::size_t limit, std::function<void(std::vector<std::pair<std::string, std::string>>)> done);
  // Any other read-only job (maintenance sweeps).
  void post(std::function<void(const database&)> job);
  void stop();

 private:
  void run();
  const database& db_;
  const std::map<std::string, core::pipeline>& pipelines_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pw::store
