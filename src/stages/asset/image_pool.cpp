#include "stages/asset/image_pool.hpp"

#include <pthread.h>

namespace pw::stages::asset {

image_pool::image_pool(std::size_t threads, std::size_t max_queued, const char* name) : max_queued_(max_queued) {
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, name] {
      pthread_setname_np(pthread_self(), name);
      run();
    });
}

image_pool::~image_pool() { stop(); }

bool image_pool::submit(std::string key, std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.emplace(std::pair{std::move(key), seq_++}, std::move(job));
  }
  cv_.notify_one();
  return true;
}

void image_pool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::size_t image_pool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t image_pool::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

void image_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      auto first = queue_.begin();
      job = std::move(first->second);
      queue_.erase(first);
      ++running_;
    }
    try {
      job();
    } catch (...) {
      // Jobs report their own failures; one that throws must not end the thread.
    }
    std::lock_guard lock(mu_);
    --running_;
  }
}

}  // namespace pw::stages::asset
