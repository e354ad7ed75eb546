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

  CLI11_PARSE(app, argc, argv);
  if (s->parsed()) return pw::cli::serve(serve);
  if (t->parsed()) return pw::cli::token(token);
  return 2;
}
