// The subcommands of the `pipewright` binary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pw::cli {

struct serve_options {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;    // HOST:PORT, overrides server.listen
  std::optional<std::string> data_dir;  // overrides server.data_dir
};

struct token_options {
  std::optional<std::string> config_file;
  std::string sub;
  std::string role = "user";
  std::string workspaces = "*";  // comma-separated, or *
  std::optional<std::int64_t> ttl_s;
};

// What every client command needs: where the node is and who is asking.
// --url (or PIPEWRIGHT_URL, default http://127.0.0.1:8080) and --token (or
// PIPEWRIGHT_TOKEN).
struct client_options {
  std::optional<std::string> url;
  std::optional<std::string> token;
  bool json = false;  // print the server's JSON instead of a summary
};

struct submit_options {
  client_options client;
  std::string workspace;
  std::optional<std::string> text;
  std::optional<std::string> title;
  std::optional<std::string> file;   // a JSONL file of {"workspace"?, "text", "title"?, "metadata"?} ("-": stdin)
  std::optional<std::string> idempotency_key;
  bool watch = false;                // follow the item until it finishes
};

struct item_options {
  client_options client;
  std::string id;
  std::vector<std::string> stages;  // retry: only these failed stages (and their dependents)
};

struct dlq_options {
  client_options client;
  std::string action = "list";      // list | requeue | resolve
  std::vector<std::string> ids;     // requeue/resolve: "<item id>:<stage>"
  bool all = false;                 // requeue every open dead letter
  std::size_t limit = 50;
};

// `pipewright verify`: a stopped node's store, checked read-only.
struct verify_options {
  std::optional<std::string> config_file;
  std::optional<std::string> data_dir;
  bool json = false;
};

struct cluster_options {
  client_options client;
  std::string action = "status";  // status | drain
  std::string node;               // drain: the node whose slots move away
  bool undo = false;              // drain: let the node take slots again
};

struct import_options {
  client_options client;
  std::string file;                  // a CSV file with a header row
  std::string workspace;             // for rows without a workspace column
  std::string text_column, title_column, key_column;
};

struct asset_options {
  client_options client;
  std::string file;
  std::string category;
  std::optional<std::string> workspace;  // default: the token's only workspace
  std::optional<std::string> title;
  std::optional<std::string> idempotency_key;
  bool watch = false;  // follow the asset until it is analysed
};

int serve(const serve_options& o);
int verify(const verify_options& o);
// `pipewright asset submit FILE --category C [--watch]`
int asset_submit(const asset_options& o);
int token(const token_options& o);
int submit(const submit_options& o);
int status(const item_options& o);
int watch(const item_options& o);
int retry(const item_options& o);
int dlq(const dlq_options& o);
int cluster(const cluster_options& o);
int import_csv(const import_options& o);

}  // namespace pw::cli
