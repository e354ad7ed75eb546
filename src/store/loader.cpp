#include "store/loader.hpp"

#include <pthread.h>

namespace pw::store {

loader::loader(const database& db, const std::map<std::string, core::pipeline>& pipelines)
    : db_(db), pipelines_(pipelines), thread_([this] { run(); }) {}

loader::~loader() { stop(); }

void loader::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void loader::run() {
  pthread_setname_np(pthread_self(), "pw-loader");
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void loader::post(std::function<void(const database&)> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    jobs_.push_back([this, job = std::move(job)] { job(db_); });
  }
  cv_.notify_one();
}

void loader::load_item(std::string id, std::function<void(std::optional<stored_item>)> done) {
  post([this, id = std::move(id), done = std::move(done)](const database& db) { done(store::load_item(db, id, pipelines_)); });
}

void loader::ids_by_status(std::string workspace, std::optional<std::string> owner,
                           std::vector<core::item_status> statuses, std::size_t limit,
                           std::function<void(std::vector<std::string>)> done) {
  post([workspace = std::move(workspace), owner = std::move(owner), statuses = std::move(statuses), limit,
        done = std::move(done)](const database& db) {
    std::vector<std::string> ids;
    for (auto s : statuses) {
      index_query q;
      q.limit = limit - ids.size();
      q.max_scan = 1'000'000;
      if (owner) {
        q.prefix = index_owner_status_key(*owner, core::to_string(s), "");
        q.value_equals = workspace;
      } else {
        q.prefix = index_workspace_status_key(workspace, core::to_string(s), "");
      }
      for (auto& [id, value] : db.list(q).entries) ids.push_back(std::move(id));
      if (ids.size() >= limit) break;
    }
    done(std::move(ids));
  });
}

void loader::dead_letters(std::size_t limit, std::function<void(std::vector<std::pair<std::string, std::string>>)> done) {
  post([limit, done = std::move(done)](const database& db) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& [key, json] : db.dead_letters("", limit)) {
      auto slash = key.find('/');
      if (slash != std::string::npos) out.emplace_back(key.substr(0, slash), key.substr(slash + 1));
    }
    done(std::move(out));
  });
}

}  // namespace pw::store
