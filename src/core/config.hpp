// The node's configuration: parsed once at start from the embedded defaults,
// an optional file and the environment, and validated with the key's name in
// every error. Plain data afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/cluster.hpp"
#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "core/supervision.hpp"

namespace pw::core {

enum class stage_events_mode : std::uint8_t { all, settled, none };
enum class log_encoding : std::uint8_t { text, json };

struct listen_address {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct server_config {
  listen_address listen;
  std::string data_dir = "./data";
  std::uint32_t io_threads = 1;
  // Threads of the /api/v1/ws sockets, apart from HTTP's, so that frames to
  // many sockets never queue ahead of a request; 0: they share the HTTP
  // threads (docs/decisions.md, "WebSockets on threads of their own").
  std::uint32_t ws_threads = 1;
  millis drain_timeout{5000};
  std::size_t max_connections = 10000;
};

struct limits_config {
  std::size_t max_body_bytes = 1 << 20;
  std::uint32_t max_json_depth = 32;
  std::size_t max_text_bytes = 65536;
  std::size_t max_title_bytes = 1024;
  std::size_t max_metadata_bytes = 16384;
  std::size_t ws_send_queue = 4096;
  // The kernel's send buffer of a WebSocket (SO_SNDBUF; 0: the kernel's
  // autotuning, up to net.ipv4.tcp_wmem's 4 MB).
  std::size_t ws_send_buffer_bytes = 131072;
  std::size_t ws_max_frame_bytes = 65536;   // a larger client frame closes the socket (1009)
  double ws_max_messages_per_s = 50;        // more client messages than this closes it (1008)
  millis ws_idle_timeout{60000};            // no pong for this long: the socket is dropped
  double submit_rate_per_user = 1000;       // items/s per user; 0: unlimited
  double submit_burst = 2000;
  millis header_timeout{10000};             // a request's headers must arrive within this once it began
  double auth_failures_per_s = 20;          // failed authentications a second per client address; 0: unlimited
  double auth_failure_burst = 100;
  millis auth_refusal_delay{1000};          // a 429 for failed authentications is sent this late (0: at once)
  std::size_t max_import_bytes = 1ull << 30;  // a CSV import's body (streamed, so not held in memory)
};

struct auth_config {
  std::string jwt_secret;
  std::int64_t token_ttl_s = 86400;
};

struct store_config {
  bool sync = false;
  std::size_t event_retention = 10000;             // events kept per room
  std::int64_t event_max_age_ms = 86'400'000;      // and none older than this
  std::int64_t idempotency_retention_ms = 86'400'000;
  std::size_t block_cache_mb = 64;
  std::size_t write_buffer_mb = 32;  // memtable size of each column family
  std::size_t min_free_mb = 64;      // less free on the data dir's filesystem: new writes are refused (503)
};

struct actors_config {
  std::uint32_t scheduler_threads = 2;
  // An idle scheduler thread looks for work every 50 us for this long before
  // it sleeps until woken (CAF's own default: 25,000); while it sleeps it
  // still wakes every scheduler_steal_ms to take work queued on a busy one
  // (CAF's: 10). docs/decisions.md, "CAF scheduler polling".
  std::uint32_t scheduler_poll_us = 0;
  std::uint32_t scheduler_steal_ms = 1;
  std::size_t max_active = 1024;
  // At most this many of the max_active slots go to one workspace, so a
  // noisy one cannot fill the node; 0 = no limit besides max_active.
  std::size_t max_active_per_workspace = 256;
  std::size_t max_queued = 1000000;
};

// An OpenAI-compatible provider (DESIGN §7): where it is, its key, and the
// gate every call to it passes (concurrency, request and token buckets).
struct provider_config {
  std::string name;
  std::string base_url;      // "https://api.openai.com/v1": paths such as /chat/completions are appended
  std::string api_key;       // secret: never logged, never rendered
  std::string api_key_env;   // the variable the key came from ("" when the provider takes none)
  std::string ca_file;       // PEM bundle to trust; empty: the system CA store
  std::uint32_t max_concurrency = 8;
  double requests_per_minute = 500;    // 0: unlimited
  double tokens_per_minute = 200000;   // 0: unlimited
  millis timeout{60000};               // one HTTP call, connect to last byte
  millis connect_timeout{10000};
  std::uint32_t rate_limit_retries = 5;  // 429s the gate retries itself before the call fails (transient)
  millis max_retry_after{60000};         // a longer Retry-After is capped to this
};

enum class batch_failure_policy : std::uint8_t { requeue, fail };

// The OpenAI Batch API (DESIGN §7): the creator and the poller, switched and
// timed separately.
struct batch_config {
  bool creation_enabled = true;
  bool polling_enabled = true;
  millis creation_interval{60000};
  millis polling_interval{60000};
  std::size_t max_lines_per_file = 50000;          // the API's limit
  std::size_t max_file_bytes = 200ull << 20;       // the API's limit (200 MB)
  std::string completion_window = "24h";
  // A batch that FAILED, expired or was cancelled: its unanswered requests
  // go back to PENDING_BATCHING (at most max_requeues times) or fail.
  batch_failure_policy on_batch_failure = batch_failure_policy::requeue;
  std::uint32_t max_requeues = 3;
  std::size_t mapping_chunk = 1000;  // requests mapped back per write
};

// Image assets (docs/assets.md).
struct assets_config {
  std::string dictionary;                  // brand dictionary file; "": the built-in config/assets/brands.toml
  std::size_t max_image_bytes = 15 << 20;  // an upload over this is refused (413) as soon as it passes it
  std::uint64_t max_pixels = 40'000'000;   // width x height over this is refused (413 at upload, permanent at decode)
  std::uint32_t min_side = 16;             // a thinner image is refused (400)
  std::uint32_t image_threads = 2;         // the image pool: decode, OCR, vision, extract, duplicate
  std::size_t image_queue = 10000;         // jobs waiting for the pool at most; more fail transiently
  std::string ocr_languages = "eng+spa+deu";
  std::uint32_t duplicate_distance = 10;   // pHash bits two duplicates may differ in
  millis signed_url_ttl{600000};           // lifetime of the image URLs handed to external workers
  std::string public_url;                  // how workers reach this node; "": http://<listen address>
};

struct config {
  server_config server;
  limits_config limits;
  auth_config auth;
  store_config store;
  actors_config actors;
  assets_config assets;
  stage_events_mode stage_events = stage_events_mode::all;
  std::string log_level = "info";
  log_encoding log_format = log_encoding::text;  // text: key=value lines; json: one JSON object per line
  std::map<std::string, pipeline> pipelines;
  cluster_config cluster;  // disabled: a single node, as ever
  std::map<std::string, provider_config> providers;
  batch_config batch;
};

using env_map = std::map<std::string, std::string>;

// Builds the config: `defaults_toml` (the embedded config/pipewright.toml),
// then the file at `file_path` if given, then `env` (PIPEWRIGHT_A__B=value
// sets a.b; PIPEWRIGHT_JWT_SECRET sets auth.jwt_secret).
result<config> load_config(std::string_view defaults_toml, const std::optional<std::string>& file_path,
                           const env_map& env);
// The same with the file already read: `file_text` is its content, called
// `file_name` in errors.
result<config> load_config_text(std::string_view defaults_toml, std::optional<std::string_view> file_text,
                                std::string_view file_name, const env_map& env);

result<listen_address> parse_listen(std::string_view text, std::string_view key);

// The environment of this process as an env_map: PIPEWRIGHT_* variables, and
// the others a provider may read (OPENAI_BASE_URL, OPENAI_API_KEY, the
// variable a provider's api_key_env names).
env_map process_env();

}  // namespace pw::core
