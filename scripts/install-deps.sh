#!/usr/bin/env bash
# Installs the Debian 12 packages Pipewright builds with, if any is missing.
# Uses sudo when not root. Safe to run again: it does nothing when all are there.
set -euo pipefail

packages=(
  cmake g++ make ninja-build pkg-config ccache
  libcaf-dev libboost1.81-dev libboost-json1.81-dev libcpp-httplib-dev librocksdb-dev libsimdjson-dev
  libspdlog-dev libfmt-dev catch2 libcpp-jwt-dev nlohmann-json3-dev libhnswlib-dev libssl-dev
  libtomlplusplus-dev libcli11-dev libjemalloc-dev libyaml-cpp-dev
  etcd-server  # the cluster tests start one etcd on loopback (docs/cluster.md)
  prometheus   # promtool: ctest lints the live /metrics and docs/prometheus/alerts.yml
  chromium     # the dashboard's browser tests (headless, driven by puppeteer-core)
  libstemmer-dev liblinear-dev   # the built-in AI: Snowball stems (server), liblinear (tools/ai_train)
  libexttextcat-dev              # tools/pw_ai_langid compares it with our language detector
  clang-14 libclang-rt-14-dev llvm-14   # the fuzz targets (libFuzzer, ASan, UBSan; llvm-symbolizer): scripts/fuzz.sh
  e2fsprogs util-linux                  # it_disk: an ext4 image on a loop device (mkfs.ext4, losetup, mount)
  # Image assets: libvips decodes, Tesseract 5 reads (English, Spanish, German);
  # curl with OpenSSL for libtesseract-dev (apt would pick the NSS one);
  # ImageMagick and DejaVu fonts for tests/data/images/make_images.py.
  libvips-dev libtesseract-dev libcurl4-openssl-dev tesseract-ocr-eng tesseract-ocr-spa tesseract-ocr-deu
  imagemagick fonts-dejavu-core
)
# Node.js and npm drive the browser tests and the Socket.IO client test
# (socket.io-client from npm). Debian's packages are used only when none is
# installed (an image may ship Node.js with its own npm, which Debian's npm
# package would conflict with).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
