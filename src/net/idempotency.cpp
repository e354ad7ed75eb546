#include "net/idempotency.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/clock.hpp"
#include "store/codec.hpp"

namespace pw::net {

namespace {

// Answers kept in memory: long enough to cover any request that read the
// store before the first answer was written.
constexpr std::int64_t memory_ms = 10 * 60 * 1000;
constexpr std::size_t memory_entries = 100000;

bool valid_key(std::string_view k) {
  if (k.empty() || k.size() > 255) return false;
  for (unsigned char c : k)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

http_response replayed(http_response r) {
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

http_response conflict() {
  return error_response(core::errc::conflict,
                        "this Idempotency-Key was used with another request (method, path or body differ)");
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", digest[i]);
  return out;
}

idempotency::idempotency(const store::database& db, actors::gateway& gate, std::int64_t retention_ms)
    : db_(db), gate_(gate), retention_ms_(retention_ms) {}

void idempotency::run(const principal& who, std::string_view key_view, const http_request& req, responder respond,
                      handler fn, bool stored_by_handler) {
  if (!valid_key(key_view))
    return respond(error_response(core::errc::validation_failed, "Idempotency-Key must be 1-255 printable ASCII characters",
                                  "{\"field\":\"Idempotency-Key\"}"));
  std::string key(key_view);
  const auto hash = sha256_hex(req.method + ' ' + req.path + '\n' + req.body);
  const auto slot = who.sub + '\0' + key;
  const auto now = core::now_ms();

  // Returns true when the request was answered from what is known.
  auto known = [&](entry& e) {
    if (e.hash != hash) return respond(conflict()), true;
    if (!e.done) return e.waiters.push_back(std::move(respond)), true;
    return respond(replayed(e.response)), true;
  };
  // A finished entry older than the retention is forgotten: the key is new again.
  auto expired = [&](const entry& e) { return e.done && e.at_ms < now - retention_ms_; };
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(slot); it != entries_.end()) {
      if (!expired(it->second)) return void(known(it->second));
      entries_.erase(it);
    }
  }
  std::optional<store::idempotency_record> stored;
  if (auto raw = db_.idempotency(who.sub, key)) {
    stored = store::decode_idempotency(*raw);
    if (stored && stored->created_ms < now - retention_ms_) stored.reset();  // expired, not yet swept
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(slot); it != entries_.end()) {
      if (!expired(it->second)) return void(known(it->second));
      entries_.erase(it);
    }
    entry e;
    e.at_ms = now;
    if (stored) {
      e.at_ms = stored->created_ms;
      e.hash = stored->hash;
      e.done = true;
      e.response = json_response(stored->status, stored->body);
      entries_.emplace(slot, e);
      if (e.hash != hash) return respond(conflict());
      return respond(replayed(std::move(e.response)));
    }
    e.hash = hash;
    entries_.emplace(slot, std::move(e));
    if (++inserts_ % 1024 == 0) evict(now);
  }
  fn(
      [this, slot, who, key, stored_by_handler, respond = std::move(respond)](http_response resp) {
        finish(slot, who, key, resp, stored_by_handler);
        respond(std::move(resp));
      },
      key, hash);
}

void idempotency::finish(const std::string& slot, const principal& who, const std::string& key, http_response resp,
                         bool stored_by_handler) {
  std::vector<responder> waiters;
  std::string hash;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(slot);
    if (it == entries_.end()) return;
    waiters = std::move(it->second.waiters);
    hash = it->second.hash;
    if (resp.status >= 500) {
      entries_.erase(it);  // a server-side failure: a retry with the key runs again
    } else {
      it->second.done = true;
      it->second.response = resp;
    }
  }
  for (auto& w : waiters) w(replayed(resp));
  if (!stored_by_handler && resp.status >= 200 && resp.status < 300)
    gate_.remember(who.sub, key, core::now_ms(), store::encode_idempotency({hash, resp.status, resp.body, core::now_ms()}));
}

void idempotency::evict(std::int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool old = it->second.done && it->second.at_ms < now_ms - memory_ms;
    it = old || (entries_.size() > memory_entries && it->second.done) ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace pw::net
