// Shortcuts over the REST API for tests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "http.hpp"

namespace pwtest {

std::string item_body(const std::string& workspace, const std::string& text);
// POSTs an item and returns its id; fails the test unless the answer is 201.
std::string submit(http& c, const std::string& token, const std::string& workspace, const std::string& text);
boost::json::object get_object(http& c, const std::string& path, const std::string& token);
std::string status_of(http& c, const std::string& token, const std::string& id);
bool is_terminal(const std::string& status);
// Polls until every item is terminal; false on timeout.
bool wait_terminal(http& c, const std::string& token, const std::vector<std::string>& ids,
                   std::chrono::milliseconds timeout);

// Polls processing-status until the item's status is `want`; false on timeout.
bool wait_status(http& c, const std::string& token, const std::string& id, const std::string& want,
                 std::chrono::milliseconds timeout);
// The stage statuses of processing-status, by stage name.
std::map<std::string, std::string> stage_statuses(http& c, const std::string& token, const std::string& id);
// History entries of the item (GET /items/{id}/history).
boost::json::array history_of(http& c, const std::string& token, const std::string& id);
// How many attempts of a stage started: went to processing, less those taken
// back ("not started") before their worker ran.
int runs_of(const boost::json::array& history, const std::string& stage);
// POST with an empty JSON object body.
response post_action(http& c, const std::string& path, const std::string& token, const std::string& body = "{}");

}  // namespace pwtest
