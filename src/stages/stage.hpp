// What a stage backend is: a function from an item and the results of its
// completed upstream stages to a JSON result or a classified error. Backends
// are built once at start, shared by every worker, and called concurrently
// from the actor scheduler's threads: run() must be thread-safe and must not
// block on I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "core/item.hpp"
#include "core/pipeline.hpp"
#include "core/result.hpp"

namespace pw::stages {

// Results of the item's completed stages, by stage name.
class stage_results {
 public:
  using entry = std::pair<std::string, std::shared_ptr<const boost::json::object>>;
  void set(std::string stage, std::shared_ptr<const boost::json::object> result);
  const boost::json::object* find(std::string_view stage) const noexcept;
  void erase(std::string_view stage);
  const std::vector<entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<entry> entries_;
};

struct stage_input {
  const core::item& item;
  const stage_results& upstream;
  std::uint32_t attempt = 1;
};

// A change to the backend's own durable state (an index, a centroid, term
// counts). It is committed in the same write as the stage's result, so the
// two never disagree after a crash. value == nullopt erases the key.
struct state_write {
  std::string key;
  std::optional<std::string> value;
};

struct stage_success {
  boost::json::object output;
  std::vector<state_write> state;
  // Counter deltas for the item's workspace (provider token usage, see
  // core/usage.hpp), committed with the result.
  std::vector<std::pair<std::string, std::int64_t>> counters;
};

struct stage_error {
  bool permanent = false;  // permanent: never retried (invalid input, 4xx); else transient
  std::string message;     // for a person: what went wrong
};

// The attempt is in a provider's durable queue (the Batch API): its result
// comes later, by a wake of the item (src/actors/batch/), and the supervisor
// may stop meanwhile. Only resumable backends (stage_spec::resumable) defer.
struct stage_deferred {
  std::string what;  // for a person: "request 01J... waits for a batch"
};

using stage_outcome = std::variant<stage_success, stage_error, stage_deferred>;

inline stage_outcome success(boost::json::object output) { return stage_success{std::move(output), {}, {}}; }
inline stage_outcome transient_error(std::string m) { return stage_error{false, std::move(m)}; }
inline stage_outcome permanent_error(std::string m) { return stage_error{true, std::move(m)}; }

// What an asynchronous attempt holds on to while it runs elsewhere (a thread
// pool, the network): shared, so it outlives the call that started it.
struct async_input {
  std::shared_ptr<const core::item> item;
  std::shared_ptr<const stage_results> upstream;
  std::uint32_t attempt = 1;
};

// Called exactly once with an asynchronous attempt's outcome, on any thread.
using stage_done = std::function<void(stage_outcome)>;

// Reads a backend's persisted state at start, before any item runs. Keys are
// those the backend wrote (its namespace prefix is handled by the store).
class state_reader {
 public:
  virtual ~state_reader() = default;
  virtual void scan(std::string_view prefix,
                    const std::function<void(std::string_view key, std::string_view value)>& fn) const = 0;
};

class stage_backend {
 public:
  virtual ~stage_backend() = default;
  // Rebuilds in-memory state (indexes) from what earlier runs persisted. In
  // a cluster it is called again with a reader that holds only the
  // workspaces a handoff brought: it must add to what it has.
  virtual void restore(const state_reader&) {}
  // (cluster) The workspace moved to another node: drop what is kept of it in
  // memory. No item of the workspace runs meanwhile. Durable state keys must
  // be "<kind>/<workspace>/<rest>" so that they move with the workspace
  // (store/slot_keys.hpp).
  virtual void forget_workspace(std::string_view /*workspace*/) {}
  virtual stage_outcome run(const stage_input& in) = 0;
  // Asynchronous backends start the attempt here and call `done` exactly
  // once, from any thread (it only posts). `in` is valid only during the
  // call: copy what the attempt needs.
  using completion = std::function<void(stage_outcome)>;
  virtual void start(const stage_input& in, completion done) { done(run(in)); }
  // True when an attempt can outlive run() (it waits on the network): only
  // then does the supervisor arm the stage timeout. A synchronous backend
  // that never returned would hold a scheduler thread, and no timeout could
  // take it back.
  virtual bool asynchronous() const noexcept { return false; }
  // The stage worker starts an asynchronous attempt here and waits for
  // `done` (the supervisor's timeout bounds the wait). A backend that needs
  // the item after the call (the image pool) overrides this one; the default
  // hands a stage_input to start() above (a provider call copies what it needs).
  virtual void start(const async_input& in, stage_done done) {
    start(stage_input{*in.item, *in.upstream, in.attempt}, std::move(done));
  }
  // The item is being deleted: what the backend keeps about it (an index
  // entry) goes, in memory now and durably in the delete's write.
  virtual std::vector<state_write> forget(const core::item&) { return {}; }
};

namespace providers {
class hub;
}
namespace asset {
struct services;
}

// Builds the backend a stage declares (`backend` and `options`), or says
// which key is wrong. `http` and `batch` stages need the providers' hub; the
// asset backends (`image`, `worker`) need the node's image services.
core::result<std::shared_ptr<stage_backend>> make_backend(const core::pipeline& p, const core::stage_spec& s,
                                                          providers::hub* hub = nullptr,
                                                          const asset::services* assets = nullptr);

}  // namespace pw::stages
