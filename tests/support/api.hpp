// Shortcuts over the REST API for tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

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

}  // namespace pwtest
