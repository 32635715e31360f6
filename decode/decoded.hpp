// What a sub-command produces for one input: the human text, the JSON object,
// and whether the input, although valid hex, is malformed for its kind (an ATR
// with missing bytes, an APDU whose Lc is wrong...): exit status 1.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pcscspy::decode {

using Json = nlohmann::ordered_json;

struct Decoded {
    std::vector<std::string> lines;
    Json json = Json::object();
    bool malformed = false;
};

}  // namespace pcscspy::decode
