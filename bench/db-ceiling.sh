#!/usr/bin/env bash
# The storage ceiling on this machine: RocksDB's own db_bench (Debian
# rocksdb-tools, the same RocksDB as the server links) writing 256-byte
# values, one key per write and 20 keys per write batch (the writer thread
# commits a batch per group of transitions), without and with fsync.
# Prints one markdown table; raw output under bench/results/db-ceiling-<stamp>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v db_bench >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rocksdb-tools
fi
out="$root/bench/results/db-ceiling-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
dir="$(mktemp -d /tmp/pw-dbbench-XXXXXX)"
trap 'rm -rf "$dir"' EXIT
common=(--db="$dir/db" --value_size=256 --key_size=32 --compression_type=none --threads=1 --histogram=0)
run() {  # file label args...
  local file="$1" label="$2"; shift 2
  rm -rf "$dir/db"
  db_bench "${common[@]}" "$@" >"$out/$file.txt" 2>&1
  local line; line="$(grep -E '^(fillseq|fillrandom|fillsync) ' "$out/$file.txt" | tail -1)"
  local ops; ops="$(awk '{for (i=1;i<=NF;i++) if ($i ~ /^ops\/sec;?$/) print $(i-1)}' <<<"$line")"
  printf '| %s | %s |\n' "$label" "${ops:-?}"
}
echo "| db_bench (RocksDB $(dpkg-query -W -f='${Version}' librocksdb-dev 2>/dev/null || echo '?')) | keys/s |"
echo "|---|---|"
run fillseq "fillseq, 1 key per write" --benchmarks=fillseq --num=1000000
run fillrandom "fillrandom, 1 key per write" --benchmarks=fillrandom --num=1000000
run fillrandom-batch20 "fillrandom, 20 keys per batch" --benchmarks=fillrandom --num=1000000 --batch_size=20
run fillrandom-batch20-sync "fillrandom, 20 keys per batch, fsync per batch" --benchmarks=fillrandom --num=200000 --batch_size=20 --sync=1
