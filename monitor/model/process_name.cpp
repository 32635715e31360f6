#include "monitor/model/process_name.hpp"

#include <string_view>

namespace pcscspy {

namespace {

// Executables (by name prefix) whose first operand is the program that matters.
constexpr std::string_view kInterpreters[] = {"python", "perl", "ruby", "node", "bash", "sh", "dash", "php", "lua", "tclsh"};

bool is_interpreter(std::string_view name) {
    for (std::string_view i : kInterpreters)
        if (name.starts_with(i) && name.find_first_not_of("0123456789.", i.size()) == std::string_view::npos) return true;
    return false;
}

}  // namespace

std::string process_name(const ProcessInfo& p) {
    std::string exe = p.exe_name();
    if (!is_interpreter(exe)) return exe;
    for (size_t i = 1; i < p.argv.size(); ++i) {
        std::string_view a = p.argv[i];
        if (a.empty() || a.front() == '-') continue;  // options (-u, -m, -c...)
        if (a.find(' ') != std::string_view::npos) break;  // a command string, not a script
        if (auto slash = a.rfind('/'); slash != std::string_view::npos && slash + 1 < a.size()) a.remove_prefix(slash + 1);
        return std::string(a);
    }
    return exe;
}

}  // namespace pcscspy
