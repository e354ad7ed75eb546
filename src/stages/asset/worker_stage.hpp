// Backend "worker": the asset is analysed by an external worker (the seed's
// AI worker) over HTTP. The stage POSTs
//   {assetId, jobId, imageUrl, category, workspace, contentType, filename, attempt}
// to options.url, where imageUrl is a short-lived signed URL of the image on
// this node, and maps the answer {brand, model, confidence} (confidence a
// number or {brand, model}) to {source: "worker", brand, model, confidence}.
// Timeouts, connection failures, 408/425/429 and 5xx are transient (retried
// with the stage's backoff); any other 4xx is permanent. Calls run on the
// backend's own threads (options.concurrency), never a scheduler thread.
// Options: url (required, http://HOST:PORT/PATH), timeout_ms (10000),
// concurrency (4).
#pragma once

#include <memory>
#include <string>

#include "core/pipeline.hpp"
#include "core/result.hpp"
#include "stages/asset/services.hpp"
#include "stages/stage.hpp"

namespace pw::stages::asset {

core::result<std::shared_ptr<stage_backend>> make_worker_backend(const core::stage_spec& spec, const std::string& key,
                                                                 const services& svc);

}  // namespace pw::stages::asset
