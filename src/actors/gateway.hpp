// What the network layer may ask of the actor runtime, in plain C++ (no CAF
// types): submit an item, and subscribe a socket to its rooms' events.
// Implemented in src/actors/runtime.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace pw::actors {

struct submit_request {
  std::string owner;
  std::string workspace;
  std::string pipeline = "feedback";
  std::optional<std::string> title;
  std::string text;
  std::string metadata_json = "{}";
};

struct submit_reply {
  std::string id;
  std::int64_t created_at_ms = 0;
};

// Called exactly once, on any thread, when the item is durable (or refused).
using submit_callback = std::function<void(core::result<submit_reply>)>;

// A subscriber (a WebSocket). Called from actor threads: implementations
// hand the frame to their own I/O thread and return at once.
class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual const std::vector<std::string>& rooms() const = 0;
  // Every event committed after joined() was called reaches deliver(), once,
  // in seq order per room. Events committed before may arrive too (filter by seq).
  virtual void deliver(const std::string& room, std::uint64_t seq, std::shared_ptr<const std::string> frame) = 0;
  virtual void joined() = 0;
};

class gateway {
 public:
  virtual ~gateway() = default;
  virtual void submit(submit_request req, submit_callback done) = 0;
  virtual void join(std::shared_ptr<event_sink> sink) = 0;
  virtual void leave(std::shared_ptr<event_sink> sink) = 0;
  virtual bool ready() const noexcept = 0;     // recovery finished
  virtual bool draining() const noexcept = 0;  // shutting down
};

}  // namespace pw::actors
