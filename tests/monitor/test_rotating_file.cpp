// --record-rotate: F, F.1 ... F.KEEP, each file whole lines only, 0600, at most
// SIZE bytes (a longer single line gets a file of its own), nothing lost while
// the disk takes it, and what the disk refuses cut back to a line and counted.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/io/rotating_file.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::test;

namespace {

std::string numbered_line(int i, size_t width) {
    std::string l = "{\"v\":1,\"n\":" + std::to_string(i) + ",\"pad\":\"";
    l.append(width > l.size() + 3 ? width - l.size() - 3 : 0, 'x');
    return l + "\"}\n";
}

bool exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

// F.KEEP ... F.1 F, concatenated: what a shipper that read them all has seen.
std::string concatenation(const std::string& path, unsigned keep) {
    std::string all;
    for (unsigned i = keep + 1; i-- > 0;) all += read_file(rotated_name(path, i));
    return all;
}

}  // namespace

TEST_CASE("--record-rotate SIZE[,KEEP] is read with K, M, G suffixes and checked") {
    std::string err;
    auto p = parse_rotation_policy("10M,3", &err);
    REQUIRE(p);
    CHECK(p->max_bytes == 10u << 20);
    CHECK(p->keep == 3);
    p = parse_rotation_policy("64k", &err);
    REQUIRE(p);
    CHECK(p->max_bytes == 64u << 10);
    CHECK(p->keep == RotationPolicy::kDefaultKeep);
    CHECK(parse_rotation_policy("2G,1", &err)->max_bytes == uint64_t{2} << 30);
    CHECK(parse_rotation_policy("4096", &err)->max_bytes == 4096);
    for (const char* bad : {"", "M", "10X", "100", "1M,0", "1M,", "1M,x", "1M,1001", "-5M", "99999999999999999999G"}) {
        CAPTURE(bad);
        err.clear();
        CHECK_FALSE(parse_rotation_policy(bad, &err));
        CHECK(err.starts_with("--record-rotate "));
    }
}

TEST_CASE("rotation keeps whole lines, in order, within SIZE, 0600, and no more than KEEP old files") {
    TempDir dir;
    const std::string path = dir / "rec.ndjson";
    const RotationPolicy policy{4096, 3};
    auto opened = RotatingFile::open(path, policy);
    REQUIRE(opened.file);
    RotatingFile& f = *opened.file;

    // Lines of varying length, written in batches of varying size, as a flushing recorder does.
    std::string expected;
    int n = 0;
    for (int batch = 0; batch < 40; ++batch) {
        std::string lines;
        for (int k = 0; k <= batch % 7; ++k, ++n) lines += numbered_line(n, 100 + (n * 37) % 400);
        expected += lines;
        CHECK(f.write_lines(lines) == 0);
    }
    CHECK(f.unwritten_lines() == 0);
    CHECK(f.rotations() >= 4);  // more than KEEP: the oldest files were dropped
    CHECK_FALSE(exists(rotated_name(path, 4)));
    for (unsigned i = 0; i <= 3; ++i) {
        std::string name = rotated_name(path, i);
        CAPTURE(name);
        REQUIRE(exists(name));
        CHECK(mode_of(name) == 0600);
        std::string text = read_file(name);
        CHECK(text.size() <= policy.max_bytes);
        CHECK(text.size() > policy.max_bytes / 2);  // files are filled, not cut early
        CHECK(text.back() == '\n');
        CHECK(text.front() == '{');
    }
    // The files, oldest first, are exactly the newest lines written.
    std::string kept = concatenation(path, 3);
    REQUIRE(kept.size() <= expected.size());
    CHECK(expected.substr(expected.size() - kept.size()) == kept);
    CHECK(expected[expected.size() - kept.size() - 1] == '\n');  // started at a line boundary
}

TEST_CASE("with KEEP large enough nothing is dropped: the concatenation is the whole stream") {
    TempDir dir;
    const std::string path = dir / "rec.ndjson";
    auto opened = RotatingFile::open(path, {2048, 100});
    REQUIRE(opened.file);
    std::string expected;
    for (int i = 0; i < 300; ++i) {
        std::string l = numbered_line(i, 150);
        expected += l;
        opened.file->write_lines(l);
    }
    CHECK(opened.file->rotations() > 10);
    CHECK(concatenation(path, 100) == expected);
}

TEST_CASE("a line longer than SIZE gets a file of its own, and the next one starts a new file") {
    TempDir dir;
    const std::string path = dir / "rec.ndjson";
    auto opened = RotatingFile::open(path, {1024, 5});
    REQUIRE(opened.file);
    std::string small = numbered_line(1, 100), big = numbered_line(2, 3000), after = numbered_line(3, 100);
    opened.file->write_lines(small + big + after);
    CHECK(read_file(rotated_name(path, 2)) == small);
    CHECK(read_file(rotated_name(path, 1)) == big);
    CHECK(read_file(path) == after);
}

TEST_CASE("appending to an existing recording: made 0600, a line cut by an earlier crash is ended first") {
    TempDir dir;
    const std::string path = dir / "rec.ndjson";
    write_file(path, "{\"v\":1}\n{\"v\":1,\"cut");
    chmod(path.c_str(), 0644);
    auto opened = RotatingFile::open(path, {1 << 20, 2});
    REQUIRE(opened.file);
    CHECK(mode_of(path) == 0600);
    opened.file->write_lines("{\"v\":1,\"n\":2}\n");
    CHECK(read_file(path) == "{\"v\":1}\n{\"v\":1,\"cut\n{\"v\":1,\"n\":2}\n");
}

TEST_CASE("rotation is refused for what is not a regular file, and for a symlink") {
    TempDir dir;
    REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
    auto fifo = RotatingFile::open(dir / "fifo", {4096, 2});
    CHECK_FALSE(fifo.file);
    CHECK(fifo.error.find("not a regular file") != std::string::npos);
    write_file(dir / "target", "");
    REQUIRE(symlink((dir / "target").c_str(), (dir / "link").c_str()) == 0);
    auto link = RotatingFile::open(dir / "link", {4096, 2});
    CHECK_FALSE(link.file);
}

TEST_CASE("a file the disk stops taking mid-line is cut back to its last whole line, the rest counted") {
    // RLIMIT_FSIZE stands in for a full disk: write() stores what fits, then fails
    // (EFBIG), exactly like ENOSPC. In a child, so that the limit stays there.
    TempDir dir;
    const std::string path = dir / "rec.ndjson";
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        rlimit lim{5000, 5000};
        setrlimit(RLIMIT_FSIZE, &lim);
        auto opened = RotatingFile::open(path, {1 << 20, 2});
        if (!opened.file) _exit(10);
        std::string batch;
        for (int i = 0; i < 20; ++i) batch += numbered_line(i, 400);  // 8000 bytes, 20 lines
        uint64_t lost = opened.file->write_lines(batch);
        // 5000 bytes hold 12 whole lines of 400 bytes: 8 are lost, none half-written.
        if (lost != 8 || opened.file->unwritten_lines() != 8) _exit(11);
        if (opened.file->error().find("File too large") == std::string::npos) _exit(12);
        if (opened.file->write_lines(numbered_line(99, 400)) != 1) _exit(13);  // still full: counted too
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::string text = read_file(path);
    CHECK(text.size() == 12 * 400);
    CHECK(text.back() == '\n');
}
