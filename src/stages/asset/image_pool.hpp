// The pool that image work runs on (decode, OCR, vision, extract, duplicate):
// a fixed set of threads of its own, so that no CAF scheduler thread ever
// waits for libvips or Tesseract, and a bounded queue. Jobs run in the order
// of their key (the item id: older items first, so a workspace's assets are
// served in the order they were accepted), then of submission.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pw::stages::asset {

class image_pool {
 public:
  // `name`: the threads' name in top and perf (at most 15 characters).
  image_pool(std::size_t threads, std::size_t max_queued, const char* name = "pw-image");
  ~image_pool();  // stop()
  image_pool(const image_pool&) = delete;
  image_pool& operator=(const image_pool&) = delete;

  // False when the queue is full or the pool stopped (the job is dropped).
  bool submit(std::string key, std::function<void()> job);
  // Drops the jobs not started, lets running ones end, joins the threads.
  void stop();
  std::size_t queued() const;
  std::size_t running() const;
  std::size_t threads() const noexcept { return threads_.size(); }

 private:
  void run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::uint64_t>, std::function<void()>> queue_;
  std::uint64_t seq_ = 0;
  std::size_t max_queued_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pw::stages::asset
