#include "cluster/wire.hpp"

#include <chrono>

#include <caf/io/middleman.hpp>
#include <caf/timespan.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace pw::cluster {

void configure_actor_system(caf::actor_system_config& cfg, const std::string& cluster_name, std::int64_t heartbeat_ms,
                            std::int64_t peer_timeout_ms) {
  cfg.load<caf::io::middleman>();
  // CAF 0.17 ships with heartbeats off and no connection timeout: a frozen
  // peer would never be noticed (shared/notes/caf.md §3).
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(heartbeat_ms)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(peer_timeout_ms)});
  cfg.set("middleman.app-identifiers", std::vector<std::string>{"pipewright/" + cluster_name});
  cfg.add_message_type<wire_request>("pw_request");
  cfg.add_message_type<wire_response>("pw_response");
  cfg.add_message_type<wire_event>("pw_event");
  cfg.add_message_type<wire_page>("pw_page");
  cfg.add_message_type<wire_record>("pw_record");
  cfg.add_message_type<wire_slots>("pw_slots");
  cfg.add_message_type<wire_seqs>("pw_seqs");
  cfg.add_message_type<wire_events>("pw_event_batch");
  cfg.add_message_type<wire_records>("pw_record_batch");
}

std::string proof(const std::string& secret, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &len);
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

}  // namespace pw::cluster
