// `pipewright`: one binary for the server and its command-line client.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Pipewright: durable AI pipelines for feedback and images"};
  app.require_subcommand(1);

  pw::cli::serve_options serve;
  auto* s = app.add_subcommand("serve", "Start a node (defaults: 127.0.0.1:8080, data in ./data)");
  s->add_option("--config", serve.config_file, "TOML config laid over the built-in defaults");
  s->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0 picks a free one)");
  s->add_option("--data-dir", serve.data_dir, "Directory of the RocksDB store");

  pw::cli::token_options token;
  auto* t = app.add_subcommand("token", "Print a JWT signed with the configured secret");
  t->add_option("--sub", token.sub, "User id (the `sub` claim)")->required();
  t->add_option("--role", token.role, "user or admin")->check(CLI::IsMember({"user", "admin"}));
  t->add_option("--workspaces", token.workspaces, "Comma-separated workspaces, or * for all");
  t->add_option("--ttl", token.ttl_s, "Lifetime in seconds (default: auth.token_ttl_s)");
  t->add_option("--config", token.config_file, "TOML config (for the secret)");

  pw::cli::verify_options verify;
  auto* v = app.add_subcommand("verify", "Check a stopped node's store: records, queue, indexes, counters, event logs");
  v->add_option("--config", verify.config_file, "TOML config (for server.data_dir)");
  v->add_option("--data-dir", verify.data_dir, "Directory of the RocksDB store");
  v->add_flag("--json", verify.json, "Print the report as JSON");

  // Client commands: thin clients of the REST API.
  auto client_flags = [](CLI::App* cmd, pw::cli::client_options& c) {
    cmd->add_option("--url", c.url, "Node to talk to (default: $PIPEWRIGHT_URL or http://127.0.0.1:8080)");
    cmd->add_option("--token", c.token, "JWT (default: $PIPEWRIGHT_TOKEN)");
    cmd->add_flag("--json", c.json, "Print the server's JSON answer");
  };

  pw::cli::submit_options submit;
  auto* sub = app.add_subcommand("submit", "Submit an item (or a JSONL file of items, with progress)");
  client_flags(sub, submit.client);
  sub->add_option("--workspace,-w", submit.workspace, "Workspace of the item(s)");
  sub->add_option("--text", submit.text, "The item's text");
  sub->add_option("--title", submit.title, "The item's title");
  sub->add_option("--file,-f", submit.file, "JSONL file of items, one object per line (- for stdin)");
  sub->add_option("--idempotency-key", submit.idempotency_key, "Idempotency-Key (files: KEY-<line number>)");
  sub->add_flag("--watch", submit.watch, "Follow the item until it finishes");

  pw::cli::item_options status, watch, retry;
  auto* st = app.add_subcommand("status", "Show an item's status, stage by stage");
  client_flags(st, status.client);
  st->add_option("id", status.id, "Item id")->required();
  auto* w = app.add_subcommand("watch", "Follow an item live until it finishes (exit 0 when completed)");
  client_flags(w, watch.client);
  w->add_option("id", watch.id, "Item id")->required();
  auto* r = app.add_subcommand("retry", "Retry failed stages (or, without --stages, run the whole pipeline again)");
  client_flags(r, retry.client);
  r->add_option("id", retry.id, "Item id")->required();
  r->add_option("--stages", retry.stages, "Failed stages to retry (with their dependents)")->delimiter(',');

  pw::cli::dlq_options dlq;
  auto* d = app.add_subcommand("dlq", "Dead letters (admin): list, requeue, resolve");
  client_flags(d, dlq.client);
  d->add_option("action", dlq.action, "list | requeue | resolve")->check(CLI::IsMember({"list", "requeue", "resolve"}));
  d->add_option("ids", dlq.ids, "Dead letter ids (<item id>:<stage>)");
  d->add_flag("--all", dlq.all, "requeue: every open dead letter");
  d->add_option("--limit", dlq.limit, "list: at most this many")->check(CLI::Range(1, 1000));

  pw::cli::cluster_options cl;
  auto* c = app.add_subcommand("cluster", "A cluster of nodes (admin): status, drain NODE");
  client_flags(c, cl.client);
  c->add_option("action", cl.action, "status | drain")->check(CLI::IsMember({"status", "drain"}));
  c->add_option("node", cl.node, "drain: the node whose slots move to the other nodes");
  c->add_flag("--undo", cl.undo, "drain: let the node take slots again");

  pw::cli::import_options import;
  auto* im = app.add_subcommand("import", "Import a CSV file (each row an item; re-imports create nothing), with progress");
  client_flags(im, import.client);
  im->add_option("file", import.file, "CSV file with a header row (text, title, workspace, key, other columns: metadata)")->required();
  im->add_option("--workspace,-w", import.workspace, "Workspace of rows that have no workspace column");
  im->add_option("--text-column", import.text_column, "The column holding the text (default: text, feedback, body, ...)");
  im->add_option("--title-column", import.title_column, "The column holding the title (default: title, subject, summary)");
  im->add_option("--key-column", import.key_column, "The column holding the row key (default: key, id, external_id, row_key)");

  pw::cli::asset_options asset;
  auto* as = app.add_subcommand("asset", "Image assets: upload a photo for analysis");
  as->require_subcommand(1);
  auto* as_submit = as->add_subcommand("submit", "Upload a photo (brand and model come back in asset_processed)");
  client_flags(as_submit, asset.client);
  as_submit->add_option("file", asset.file, "The photo (JPEG, PNG, WebP, GIF, TIFF)")->required();
  as_submit->add_option("--category,-c", asset.category, "watch, trading_card, sneaker, vinyl_record, action_figure, ...")
      ->required();
  as_submit->add_option("--workspace,-w", asset.workspace, "Workspace (default: the token's only one)");
  as_submit->add_option("--title", asset.title, "A title (default: the file's name)");
  as_submit->add_option("--idempotency-key", asset.idempotency_key, "Idempotency-Key of the upload");
  as_submit->add_flag("--watch", asset.watch, "Wait for the analysis and print brand and model");

  // An unknown subcommand is an error even when --help follows it (CLI11
  // would print the top-level help and exit 0 for `pipewright frobnicate --help`).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* cmd : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || cmd->check_name(argv[1]);
      names += (names.empty() ? "" : ", ") + cmd->get_name();
    }
    if (!known) {
      std::cerr << "pipewright: unknown command '" << argv[1] << "' (commands: " << names
                << "); see pipewright --help\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints the help and exits 0; any other parse error is "could not run".
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (as_submit->parsed()) return pw::cli::asset_submit(asset);
  if (s->parsed()) return pw::cli::serve(serve);
  if (t->parsed()) return pw::cli::token(token);
  if (v->parsed()) return pw::cli::verify(verify);
  if (sub->parsed()) return pw::cli::submit(submit);
  if (st->parsed()) return pw::cli::status(status);
  if (w->parsed()) return pw::cli::watch(watch);
  if (r->parsed()) return pw::cli::retry(retry);
  if (d->parsed()) return pw::cli::dlq(dlq);
  if (c->parsed()) return pw::cli::cluster(cl);
  if (im->parsed()) return pw::cli::import_csv(import);
  return 2;
}
