// One thread that runs callbacks when they are due, with cancellation.
// CAF 0.17's delayed_send cannot be cancelled, keeps its receiver alive until
// it fires and makes shutdown wait for it; stage timeouts and retry timers
// use this instead. Callbacks run on the timer thread and must only post
// (e.g. caf::anon_send), never block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace pw::actors {

class timer_service {
 public:
  using clock = std::chrono::steady_clock;
  using timer_id = std::uint64_t;  // 0 is never a valid id

  timer_service();
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  timer_id schedule(clock::duration delay, std::function<void()> fn);
  void cancel(timer_id id);
  // Drops every pending timer and joins the thread.
  void stop();
  std::size_t pending() const;

 private:
  void run();
  using key = std::pair<clock::time_point, timer_id>;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<key, std::function<void()>> due_;
  std::unordered_map<timer_id, clock::time_point> index_;
  timer_id next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pw::actors
