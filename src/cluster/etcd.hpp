// A client of etcd's v3 JSON gateway (/v3/kv/*, /v3/lease/*, /v3/watch), as
// Debian's etcd-server 3.4 serves it: no C++ etcd client is packaged, and the
// gateway needs none. Calls block (cpp-httplib) and are made from the
// cluster's control thread, never from an actor or an I/O thread. Every call
// tries the endpoints in turn; an error is a value.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace pw::cluster {

struct etcd_kv {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t lease = 0;
};

struct etcd_range {
  std::int64_t revision = 0;  // the store's revision when it was read
  std::vector<etcd_kv> kvs;
};

// One comparison of a transaction.
struct etcd_compare {
  enum class target : std::uint8_t { create_revision, value, lease } what = target::value;
  std::string key;
  std::string value;        // target::value: equal to this
  std::int64_t number = 0;  // create_revision or lease: equal to this
  static etcd_compare absent(std::string key) { return {target::create_revision, std::move(key), {}, 0}; }
  static etcd_compare equals(std::string key, std::string value) { return {target::value, std::move(key), std::move(value), 0}; }
  static etcd_compare has_lease(std::string key, std::int64_t lease) { return {target::lease, std::move(key), {}, lease}; }
};

struct etcd_op {
  bool erase = false;
  std::string key;
  std::string value;
  std::int64_t lease = 0;  // 0: none
  static etcd_op put(std::string key, std::string value, std::int64_t lease = 0) { return {false, std::move(key), std::move(value), lease}; }
  static etcd_op del(std::string key) { return {true, std::move(key), {}, 0}; }
};

struct etcd_txn_result {
  bool succeeded = false;
  std::int64_t revision = 0;
};

struct etcd_event {
  bool deleted = false;
  etcd_kv kv;
};

class etcd_client {
 public:
  explicit etcd_client(std::vector<std::string> endpoints, std::chrono::milliseconds timeout = std::chrono::seconds(2));
  ~etcd_client();

  core::result<std::int64_t> grant(std::int64_t ttl_s);
  // The lease's remaining TTL in seconds; 0 when etcd no longer knows it.
  core::result<std::int64_t> keepalive(std::int64_t lease);
  core::result<void> revoke(std::int64_t lease);
  core::result<etcd_range> range(const std::string& prefix);
  core::result<std::int64_t> put(const std::string& key, const std::string& value, std::int64_t lease = 0);
  core::result<std::int64_t> erase(const std::string& key);
  core::result<etcd_txn_result> txn(const std::vector<etcd_compare>& compare, const std::vector<etcd_op>& success,
                                    const std::vector<etcd_op>& failure = {});
  // Streams the changes under `prefix` from `start_revision` and calls
  // on_events for each batch, until the stream breaks or stop_watch() is
  // called. Returns why it ended.
  core::result<void> watch(const std::string& prefix, std::int64_t start_revision,
                           const std::function<void(std::int64_t revision, const std::vector<etcd_event>&)>& on_events);
  void stop_watch();

 private:
  core::result<std::string> post(const std::string& path, const std::string& body);
  std::vector<std::string> endpoints_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> next_{0};
  std::mutex watch_mu_;
  void* watch_client_ = nullptr;  // the httplib::Client of the running watch
  std::atomic<bool> stop_{false};
};

std::string base64_encode(std::string_view in);
std::optional<std::string> base64_decode(std::string_view in);
// The first key after every key that starts with `prefix` (etcd's range_end).
std::string etcd_prefix_end(std::string prefix);

}  // namespace pw::cluster
