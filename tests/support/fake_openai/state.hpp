// The fake provider's memory: files, batches, the programmable behaviour
// (/_control) and what it saw (/_stats). One mutex guards it all.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace fake_openai {

struct file_entry {
  std::string id, filename, purpose, content;
  std::int64_t created_at = 0;
};

struct batch_entry {
  std::string id, input_file_id, endpoint, status = "validating", outcome = "completed";
  std::string output_file_id, error_file_id;
  boost::json::object metadata;
  std::int64_t created_at = 0, total = 0, completed = 0, failed = 0;
  int polls = 0;
  double answered_fraction = 0.5;  // expired or cancelled: the share of lines answered
  std::map<std::string, std::int64_t> times;  // in_progress_at, completed_at, ...
  std::string error;  // a failed batch's errors.data[0].message
};

// Requests matching this are held (before or after their effect) until released.
struct hold_rule {
  std::string method, path_prefix;
  bool after = false;  // after: the effect happens, then the answer waits
  int remaining = 0;
};

struct settings {
  int delay_ms = 0;                 // chat and embeddings answer after this long
  int invalid_answers = 0;          // the next N chat answers break their schema
  std::string fail_marker = "[[fail400]]";  // a text with it: 400 (direct) or an error line (batch)
  std::int64_t storm_until_ms = 0;  // chat and embeddings answer 429 until then
  int storm_retry_after_s = 1;
  std::string batch_outcome = "completed";  // completed | failed | expired | cancelled (new batches)
  double answered_fraction = 0.5;
  int polls_to_finish = 2;          // GETs of a batch before it is done
  std::string require_key;          // when set: another bearer token gets 401
  std::vector<hold_rule> holds;
};

struct state {
  std::mutex mu;
  std::condition_variable released;
  std::uint64_t release_generation = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  settings s;
  std::map<std::string, file_entry> files;
  std::map<std::string, batch_entry> batches;  // by id (ids increase with time)
  std::uint64_t next_id = 1;
  // What was seen.
  std::vector<std::int64_t> model_call_times_ms;  // chat and embeddings arrivals (429s included)
  std::vector<std::int64_t> rate_limited_times_ms;
  std::map<std::string, std::int64_t> calls_by_path;
  std::map<std::string, int> custom_id_batches;   // custom_id -> batches whose input held it
  std::vector<std::string> authorizations;        // distinct Authorization headers
  int in_flight = 0, max_in_flight = 0, held = 0;

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  }
  std::string make_id(const char* prefix) { return std::string(prefix) + std::to_string(1000000 + next_id++); }
};

}  // namespace fake_openai
