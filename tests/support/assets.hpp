// Shortcuts for the asset tests: the labelled images of tests/data/images,
// uploads, waiting for an asset's end, asset pipelines for tests, and the
// fake analysis worker (support/fake_worker.cpp) as a child process.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include <boost/json/object.hpp>

#include "http.hpp"
#include "process.hpp"

namespace pwtest {

struct labelled_image {
  std::string file, category, brand, model, variant, split;
  std::string bytes;
};
// tests/data/images/labels.jsonl, with each image's bytes.
std::vector<labelled_image> labelled_images();
// A file of tests/data/images ("bad/truncated.jpg").
std::string image_bytes(const std::string& relative);

// POST /api/v1/assets with `image` (named `filename`) and the fields.
response upload(http& c, const std::string& token, const std::string& bytes, const std::string& category,
                const std::map<std::string, std::string>& fields = {}, const std::string& filename = "photo.jpg",
                const std::string& path = "/api/v1/assets", const std::map<std::string, std::string>& headers = {});
// Uploads and returns the asset id; fails the test unless 201.
std::string upload_ok(http& c, const std::string& token, const std::string& bytes, const std::string& category,
                      const std::map<std::string, std::string>& fields = {});
// Polls GET /api/v1/assets/{id} until its status is active or failed; the asset, or an empty object on timeout.
boost::json::object wait_asset(http& c, const std::string& token, const std::string& id, std::chrono::milliseconds timeout);

// The asset pipeline with the analysis left to a worker and no OCR (fast):
// decode -> vision (worker at `worker_url`) -> extract -> duplicate.
std::string worker_asset_pipeline(const std::string& worker_url, const std::string& vision_keys = "");

// The fake analysis worker on 127.0.0.1; killed when the test ends.
class fake_worker {
 public:
  fake_worker(const temp_dir& dir, const std::string& args);
  ~fake_worker();
  fake_worker(const fake_worker&) = delete;
  fake_worker& operator=(const fake_worker&) = delete;
  std::uint16_t port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT/analyze
  boost::json::object stats() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace pwtest
