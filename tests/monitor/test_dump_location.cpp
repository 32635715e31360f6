// Where the dashboard's `d` writes (monitor/app/dump_location.hpp): a folder a
// user looks in and can write, never the current one.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "monitor/app/dump_location.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

TEST_CASE("dump folder: --dump-dir, else $XDG_STATE_HOME/pcscspy, else ~/.local/state/pcscspy") {
    CHECK(dump_folder(std::string("/srv/dumps"), "/x/state", "/home/ann") == "/srv/dumps");
    CHECK(dump_folder(std::nullopt, "/x/state", "/home/ann") == "/x/state/pcscspy");
    CHECK(dump_folder(std::nullopt, nullptr, "/home/ann") == "/home/ann/.local/state/pcscspy");
    CHECK(dump_folder(std::nullopt, "", "/home/ann/") == "/home/ann/.local/state/pcscspy");
    // A relative XDG_STATE_HOME is invalid (the specification says to ignore it).
    CHECK(dump_folder(std::nullopt, "relative/state", "/home/ann") == "/home/ann/.local/state/pcscspy");
    CHECK(dump_folder(std::nullopt, nullptr, "/") == "/.local/state/pcscspy");
    // No usable HOME: the user database's home.
    const std::string fallback = dump_folder(std::nullopt, nullptr, nullptr);
    CHECK(fallback.starts_with("/"));
    CHECK(fallback.ends_with("/.local/state/pcscspy"));
}

TEST_CASE("dump file: named after the time, never one that exists") {
    TempDir dir;
    const std::time_t t = 1764030000;
    const std::string first = new_dump_file(dir.path, t);
    CHECK(first.starts_with(dir.path + "/pcscspy-dump-"));
    CHECK(first.ends_with(".json"));
    write_file(first, "{}");
    const std::string second = new_dump_file(dir.path, t);
    CHECK(second == first.substr(0, first.size() - 5) + "-2.json");
    write_file(second, "{}");
    CHECK(new_dump_file(dir.path, t) == first.substr(0, first.size() - 5) + "-3.json");
}

TEST_CASE("dump folder creation: missing parents made private, an existing file refused") {
    TempDir dir;
    const std::string deep = dir / "state/pcscspy";
    CHECK_FALSE(make_folder(deep));
    struct stat st;
    REQUIRE(stat(deep.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 0777) == 0700);
    CHECK_FALSE(make_folder(deep));  // exists: fine
    write_file(dir / "plain", "x");
    auto err = make_folder(dir / "plain");
    REQUIRE(err);
    CHECK(err->find("is not a folder") != std::string::npos);
    auto under_file = make_folder(dir / "plain/sub");
    REQUIRE(under_file);
    CHECK(under_file->find("cannot create the folder") != std::string::npos);
}
