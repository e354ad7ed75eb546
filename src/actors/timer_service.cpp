#include "actors/timer_service.hpp"

#include <vector>

#include "core/kill_point.hpp"

namespace pw::actors {

timer_service::timer_service() : thread_([this] { run(); }) {}

timer_service::~timer_service() { stop(); }

timer_service::timer_id timer_service::schedule(clock::duration delay, std::function<void()> fn) {
  const auto at = clock::now() + delay;
  std::lock_guard lock(mu_);
  if (stopping_) return 0;
  const auto id = next_id_++;
  const bool earliest = due_.empty() || at < due_.begin()->first.first;
  due_.emplace(key{at, id}, std::move(fn));
  index_.emplace(id, at);
  if (earliest) cv_.notify_one();
  return id;
}

void timer_service::cancel(timer_id id) {
  std::function<void()> dropped;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return;
  auto node = due_.find(key{it->second, id});
  if (node != due_.end()) {
    dropped = std::move(node->second);
    due_.erase(node);
  }
  index_.erase(it);
}

void timer_service::stop() {
  std::map<key, std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(due_);
    index_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t timer_service::pending() const {
  std::lock_guard lock(mu_);
  return due_.size();
}

void timer_service::run() {
  std::vector<std::function<void()>> fire;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto next = due_.begin()->first.first;
    if (clock::now() < next) {
      cv_.wait_until(lock, next);
      continue;
    }
    const auto now = clock::now();
    while (!due_.empty() && due_.begin()->first.first <= now) {
      auto node = due_.extract(due_.begin());
      index_.erase(node.key().second);
      fire.push_back(std::move(node.mapped()));
    }
    lock.unlock();
    PW_KILL_POINT(timer_fire);
    for (auto& f : fire) f();
    fire.clear();
    lock.lock();
  }
}

}  // namespace pw::actors
