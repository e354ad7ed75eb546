// The bookkeeping of one run, with loadgen.js's definitions: which item each
// POST created, which socket saw which completion (exactly once, owner only),
// latencies, and the JSON report built from them. No I/O here.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "measure.hpp"
#include "options.hpp"

namespace pwlg {

class run_state {
 public:
  explicit run_state(const options& opt);

  double now() const;  // ms since the run began

  // A text frame arrived on socket `slot` of `user` at time t.
  void on_message(int user, int slot, std::string_view data, double t);
  void post_failed(const std::string& status_key, const std::string& message);
  void post_answered(long item, unsigned status, const std::string& body, double t);

  void begin_phase(long from, long to);
  bool phase_complete() const { return opt_.post_only ? ph_next >= ph_to : ph_done >= ph_to - ph_from - ph_errors; }
  void start_measuring();
  void stop_measuring();

  // Up to m (id, item) pairs spread over the posted items, as loadgen.js picks them.
  std::vector<std::pair<std::string, long>> verify_sample(int m) const;
  void verify_answer(const std::string& id, long item, int status, const std::string& body);

  boost::json::object report() const;

  // Read by the engine.
  std::vector<std::string> users, tokens, bodies;
  std::vector<int> owner;  // user index of each item
  std::vector<double> sent;
  long ph_from = 0, ph_to = 0, ph_next = 0;
  long fully_done = 0;
  std::string outcome = "not_started";
  int not_found_status = 0;

 private:
  struct early_event {
    int user, slot;
    double t;
  };
  void deliver(long item, int user, int slot, double t);

  const options& opt_;
  long warmup_, total_;
  int sockets_per_user_;
  std::vector<double> post_lat_, e2e_;
  std::vector<std::uint16_t> hits_;  // deliveries per (item, owner socket)
  std::unordered_map<std::string, long> id_to_item_;
  std::vector<std::string> ids_in_order_;
  std::unordered_map<std::string, std::vector<early_event>> early_;
  long post_errors_ = 0, misdelivered_ = 0, bad_messages_ = 0, failed_events_ = 0;
  std::map<std::string, long> post_status_;
  long ph_done = 0, ph_errors = 0;
  double t_start_ = 0, t_end_ = 0, t_last_post_ = 0, t_last_complete_ = 0;
  std::vector<double> completion_times_;
  cpu_snapshot cpu0_, cpu1_;
  double own_cpu0_ = 0, own_cpu1_ = 0;
  long verify_ok_ = 0, verify_bad_ = 0;
  std::chrono::steady_clock::time_point origin_;
};

}  // namespace pwlg
