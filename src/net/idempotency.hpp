// Idempotency-Key on POSTs: the first request with a key runs; concurrent
// duplicates wait for its answer; later ones get that answer replayed, from
// memory or from the store (for store.idempotency_retention_ms). The same key
// with another body is 409 CONFLICT. Keys are per user.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/gateway.hpp"
#include "net/auth.hpp"
#include "net/http_types.hpp"
#include "store/database.hpp"

namespace pw::net {

class idempotency {
 public:
  // `run` gets a responder to answer with, and the key and request hash to
  // hand on when the handler stores the answer itself (POST /items does, in
  // the same write as the item).
  using handler = std::function<void(responder respond, const std::string& key, const std::string& hash)>;

  idempotency(const store::database& db, actors::gateway& gate, std::int64_t retention_ms);

  void run(const principal& who, std::string_view key, const http_request& req, responder respond, handler fn,
           bool stored_by_handler);

 private:
  struct entry {
    std::string hash;
    bool done = false;
    http_response response;
    std::vector<responder> waiters;
    std::int64_t at_ms = 0;
  };
  void finish(const std::string& slot, const principal& who, const std::string& key, http_response resp,
              bool stored_by_handler);
  void evict(std::int64_t now_ms);

  const store::database& db_;
  actors::gateway& gate_;
  std::int64_t retention_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, entry> entries_;
  std::size_t inserts_ = 0;
};

std::string sha256_hex(std::string_view data);

}  // namespace pw::net
