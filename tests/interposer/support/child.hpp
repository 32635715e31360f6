// Runs a program for a test: given environment changes, stdin/stdout/stderr on
// pipes (nothing else inherited), bounded waits.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pcscspy::test {

struct ChildResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
    bool timed_out = false;
};

class Child {
public:
    // env: variables to set (an empty value with unset=true removes it).
    Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::vector<std::string>& unset = {});
    ~Child();
    pid_t pid() const { return pid_; }
    // Reads stdout up to and including the next '\n' (without it), or nullopt on
    // end/timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    void write_stdin(const std::string& text);
    // Waits for the exit, collecting the rest of the output; kills on timeout.
    ChildResult wait(std::chrono::milliseconds timeout);

private:
    void drain(int timeout_ms);
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::string out_buf_, err_buf_, line_buf_;
    bool reaped_ = false;
};

// Runs to completion.
ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                const std::vector<std::string>& unset = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace pcscspy::test
