// The provider side of a node: one gate per configured provider, the
// prompts, and, once the actor runtime runs, the Batch API's request
// registry (src/actors/batch/). Built once at start, before the stages.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "stages/providers/gate.hpp"
#include "stages/stage.hpp"

namespace pw::stages::providers {

// One stage attempt's request for the Batch API.
struct batch_request {
  std::string item_id, owner, workspace, pipeline, stage;
  std::uint32_t attempt = 1;
  std::string provider, model;
  std::string kind;       // answers.hpp stage_kind, to read the answer back
  std::string endpoint;   // "/v1/chat/completions" or "/v1/embeddings"
  std::string body_json;  // the request body of the JSONL line
};

// Registers a batch stage's request durably, or finds the one registered for
// the item and stage: answers deferred while it waits for a batch, the
// result once it is mapped back (with the state writes that consume it), or
// the error it ended with. Implemented by the actor runtime.
class batch_registry {
 public:
  virtual ~batch_registry() = default;
  virtual void submit(batch_request r, std::function<void(stage_outcome)> done) = 0;
};

class hub {
 public:
  explicit hub(const core::config& cfg);
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  // nullptr when no such provider is configured.
  provider_gate* gate(const std::string& provider) const;
  void attach(batch_registry* r) noexcept { registry_.store(r); }
  batch_registry* registry() const noexcept { return registry_.load(); }
  // The system prompt for a chat stage kind: the file named, or config/prompts/<kind>.md.
  core::result<std::string> prompt(std::string_view kind, const std::string& file, const std::string& key) const;
  // Stops every gate: queued calls fail as transient, calls in flight are cut.
  void stop();
  const core::config& config() const noexcept { return cfg_; }

 private:
  const core::config& cfg_;
  std::map<std::string, std::unique_ptr<provider_gate>> gates_;
  std::atomic<batch_registry*> registry_{nullptr};
};

}  // namespace pw::stages::providers
