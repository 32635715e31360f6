#include "monitor/model/entities.hpp"

namespace pcscspy {

std::string ProcessInfo::exe_name() const {
    std::string_view path = exe;
    if (path.empty() && !argv.empty()) path = argv.front();
    if (path.empty()) return "?";
    if (auto slash = path.rfind('/'); slash != std::string_view::npos && slash + 1 < path.size())
        path = path.substr(slash + 1);
    return std::string(path);
}

}  // namespace pcscspy
