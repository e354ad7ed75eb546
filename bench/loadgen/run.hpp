// One load-generator run: opens the users' sockets, posts warmup then
// measured items over `c` keep-alive connections, matches completion events
// to items, samples GETs, and returns the report (loadgen.js's fields).
#pragma once

#include <boost/json/object.hpp>

#include "options.hpp"

namespace pwlg {

// The JSON report; report["ok"] is true only when every check passed.
boost::json::object run(const options& opt);

// An HS256 JWT for Pipewright: {"sub","role":"user","workspaces":"*","exp"}.
std::string make_jwt(const std::string& secret, const std::string& sub, long ttl_s);

}  // namespace pwlg
