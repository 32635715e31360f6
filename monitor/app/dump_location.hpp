// Where the dashboard's `d` writes the session document: the --dump file when
// one was given; otherwise a new file pcscspy-dump-YYYYMMDD-HHMMSS.json in the
// --dump-dir folder, else in $XDG_STATE_HOME/pcscspy/, else in
// ~/.local/state/pcscspy/ (the XDG base directory specification's place for
// state a user keeps), never in whatever folder the monitor was started from.
#pragma once

#include <ctime>
#include <optional>
#include <string>

namespace pcscspy {

// The folder: `option` (--dump-dir), else $XDG_STATE_HOME/pcscspy when that is
// an absolute path (as the specification says), else HOME/.local/state/pcscspy
// (`home`: $HOME, else the user database's; "/" when there is none).
std::string dump_folder(const std::optional<std::string>& option, const char* xdg_state_home, const char* home);

// A file in `folder` named after the local time `t`, with -2, -3... when a file
// of that name exists (two dumps in the same second).
std::string new_dump_file(const std::string& folder, std::time_t t);

// Creates `folder` and its missing parents (mode 0700, as the specification
// asks); nullopt when it exists or was made, else why not.
std::optional<std::string> make_folder(const std::string& folder);

}  // namespace pcscspy
