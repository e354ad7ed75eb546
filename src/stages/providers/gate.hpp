// A provider's gate (DESIGN §3): every call to one provider goes through it.
// It keeps at most `max_concurrency` calls in flight, spaces them by a
// request bucket and a token bucket (requests_per_minute, tokens_per_minute;
// a second's worth of burst), and on a 429 stops every call for the
// Retry-After the provider asked (retry-after-ms, Retry-After in seconds or
// as a date; 1 s doubling when absent), then retries the call itself, at
// most rate_limit_retries times. Calls run on the gate's own threads
// (cpp-httplib, keep-alive per thread), never on an actor scheduler thread;
// the outcome goes to a callback on that thread, which must only post.
//
// Outcomes are classified (DESIGN §3): timeouts, connection resets, 5xx,
// 408 and 429 are transient; other 4xx permanent, with the provider's own
// message; a certificate the CA store does not trust is permanent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"

namespace pw::stages::providers {

struct file_upload {
  std::string filename;  // "pipewright-<batch id>.jsonl"
  std::string purpose;   // "batch"
};

struct http_call {
  std::string method = "POST";  // GET, POST, DELETE
  std::string path;             // under the base URL: "/chat/completions", "/files/<id>/content"
  std::string body;             // JSON, or a file's content when `upload` is set
  std::optional<file_upload> upload;
  std::int64_t estimated_tokens = 0;  // charged to the token bucket before the call
  std::chrono::milliseconds timeout{0};  // 0: the provider's timeout_ms
  std::string what;                   // for logs: "sentiment item=...", never secrets
};

enum class verdict : std::uint8_t { ok, transient, permanent };

struct http_outcome {
  verdict v = verdict::transient;
  int status = 0;       // 0: no HTTP answer
  std::string body;     // the answer's body (ok: what to parse)
  std::string message;  // for a person: the provider's error message, or what went wrong on the way
};

struct gate_stats {
  std::uint64_t calls = 0;        // sent to the provider (each retry counts)
  std::uint64_t rate_limited = 0; // 429 answers
  std::uint64_t failed = 0;       // outcomes that were not ok
  std::int64_t in_flight = 0;
  std::int64_t queued = 0;
  std::int64_t max_in_flight = 0;
};

class provider_gate {
 public:
  explicit provider_gate(const core::provider_config& cfg);
  ~provider_gate();  // stops
  provider_gate(const provider_gate&) = delete;
  provider_gate& operator=(const provider_gate&) = delete;

  using callback = std::function<void(http_outcome)>;
  // Thread-safe. After stop(), `done` gets a transient outcome at once.
  void submit(http_call call, callback done);
  // The real token count of a call whose estimate was charged.
  void settle_tokens(std::int64_t estimated, std::int64_t actual);
  void stop();
  gate_stats stats() const;
  const core::provider_config& config() const noexcept { return cfg_; }

  struct impl;

 private:
  core::provider_config cfg_;
  std::unique_ptr<impl> impl_;
};

// The pause a 429 asks for: retry-after-ms, else Retry-After (seconds or an
// HTTP date, relative to `now_s`, seconds since the epoch); nullopt when
// neither parses.
std::optional<std::chrono::milliseconds> retry_after(const std::string& retry_after_ms, const std::string& retry_after,
                                                     std::int64_t now_s);
// The provider's message from an error body ({"error":{"message":...}}), or
// the body's start.
std::string provider_message(int status, const std::string& body);

}  // namespace pw::stages::providers
