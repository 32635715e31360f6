// The system-wide capture and the interposer describe a call the same way: the
// host's "odd" script (every function with every odd argument, against the
// scripted double: NULL pointers, SCARD_AUTOALLOCATE, 17 reader states and a
// count of 1000, extended APDUs, lengths that lie, names that are not UTF-8,
// unknown return codes) is run once through the interposer and once bare with
// the probes attached to the double's file; every call event must be the same
// but for the process's own addresses.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <sstream>

#include "support/harness.hpp"
#include "support/probe_session.hpp"

using namespace pcscspy::test;

namespace {

// Fields of a call event that describe the call (not when or where it ran).
const char* const kCallFields[] = {"seq", "fn", "rv", "rv_name", "ctx", "reader", "in", "out", "truncated", "clamped"};

bool is_address_key(const std::string& key) {
    return key == "pvMem" || key == "pvReserved1" || key == "pvReserved2" ||
           (key.size() > 6 && key.compare(key.size() - 6, 6, "_alloc") == 0);
}

// Addresses differ from one process to the next: compared as "an address"
// (NULL stays null).
void hide_addresses(json& value) {
    if (!value.is_object()) return;
    for (auto& [key, v] : value.items()) {
        if (is_address_key(key) && v.is_number_unsigned()) v = "@address";
        else if (v.is_object()) hide_addresses(v);
    }
}

std::map<uint64_t, json> calls_by_seq(const std::vector<json>& events) {
    std::map<uint64_t, json> out;
    for (const json& e : events) {
        if (e.value("type", "") != "call") continue;
        json call = json::object();
        for (const char* f : kCallFields)
            if (e.contains(f)) call[f] = e[f];
        hide_addresses(call);
        out[e["seq"].get<uint64_t>()] = call;
    }
    return out;
}

// Where two values first differ, briefly (the values can be megabytes of hex).
std::string first_difference(const json& a, const json& b, const std::string& path = "") {
    if (a.type() != b.type()) return path + ": " + a.type_name() + " vs " + b.type_name();
    if (a.is_object()) {
        for (auto& [k, v] : a.items())
            if (!b.contains(k)) return path + "." + k + ": only in the first";
        for (auto& [k, v] : b.items()) {
            if (!a.contains(k)) return path + "." + k + ": only in the second";
            if (std::string d = first_difference(a[k], v, path + "." + k); !d.empty()) return d;
        }
        return "";
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return path + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " items";
        for (size_t i = 0; i < a.size(); ++i)
            if (std::string d = first_difference(a[i], b[i], path + "[" + std::to_string(i) + "]"); !d.empty()) return d;
        return "";
    }
    if (a == b) return "";
    std::string x = a.dump(), y = b.dump();
    size_t at = 0;
    while (at < x.size() && at < y.size() && x[at] == y[at]) ++at;
    return path + ": differ at character " + std::to_string(at) + " of " + std::to_string(x.size()) + "/" +
           std::to_string(y.size()) + ": ..." + x.substr(at, 40) + " vs ..." + y.substr(at, 40);
}

const json* call_with(const std::vector<json>& events, const char* fn, const std::function<bool(const json&)>& pick) {
    for (const json& e : events)
        if (e.value("type", "") == "call" && e["fn"] == fn && pick(e)) return &e;
    return nullptr;
}

// Calls where the double claims to have written more than it did: the bytes
// past what it wrote are whatever the program's buffer held before (stack
// memory that differs from one process to the next), so only the written
// prefix and the length are compared.
struct Uninitialized {
    const char* label;
    const char* field;
    size_t written;
};
const Uninitialized kUninitialized[] = {{"transmit-lie", "pbRecvBuffer", 10}, {"control-lie", "pbRecvBuffer", 4}};

void keep_written_prefix(const std::string& label, json& call) {
    for (const Uninitialized& u : kUninitialized) {
        if (label != u.label || !call["out"].contains(u.field)) continue;
        std::string hex = call["out"][u.field];
        call["out"][u.field] = hex.substr(0, 2 * u.written) + "+" + std::to_string(hex.size() / 2 - u.written) + " bytes";
    }
}

// A folder where the double stands as libpcsclite.so.1, for a bare host.
struct DoubleAsPcscLite {
    TempDir dir;
    DoubleAsPcscLite() { REQUIRE(symlink(Artifacts::double_library().c_str(), (dir / "libpcsclite.so.1").c_str()) == 0); }
};

}  // namespace

TEST_CASE("the probes report every odd call exactly as the interposer does") {
    ProbeSession probes({Artifacts::double_library()});
    probes.require();

    // Through the interposer (events it could not deliver are simply not compared).
    Monitored m;
    ChildResult traced = m.run_host({"odd"});
    REQUIRE(traced.status == 0);
    std::map<uint64_t, json> interposer = calls_by_seq(m.events());

    // Bare, under the probes.
    DoubleAsPcscLite lib;
    Child bare({Artifacts::host(), "odd"}, {{"LD_LIBRARY_PATH", lib.dir.path()}}, kCleanEnv);
    const pid_t pid = bare.pid();
    ChildResult r = bare.wait(std::chrono::seconds(60));
    REQUIRE(r.status == 0);
    std::vector<std::string> labels;  // label of call seq i + 1
    std::istringstream out(r.out);
    for (std::string line; std::getline(out, line);)
        if (line.rfind("step ", 0) == 0) labels.push_back(line.substr(5));
    const size_t steps = labels.size();
    REQUIRE(probes.wait_for_bye(pid));
    std::vector<json> events = probes.events(pid);
    std::map<uint64_t, json> probed = calls_by_seq(events);

    // Every call was seen, numbered 1..N, and said so in bye.
    REQUIRE(probed.size() == steps);
    CHECK(probed.begin()->first == 1);
    CHECK(probed.rbegin()->first == steps);
    const json& bye = events.back();
    CHECK(bye["type"] == "bye");
    CHECK(bye["calls"] == steps);
    CHECK(bye["lost"] == 0);
    for (const json& e : events) CHECK_FALSE(e.contains("unreadable"));
    // Autoallocated memory is shown at the program's own address, the one it frees.
    const json* groups = call_with(events, "SCardListReaderGroups",
                                   [](const json& c) { return c["out"].contains("mszGroups_alloc"); });
    REQUIRE(groups);
    CHECK(call_with(events, "SCardFreeMemory",
                    [&](const json& c) { return c["in"]["pvMem"] == (*groups)["out"]["mszGroups_alloc"]; }));

    REQUIRE(interposer.size() >= steps / 2);  // most arrive even on a loaded machine
    for (auto& [seq, call] : interposer) {
        REQUIRE(probed.count(seq));
        REQUIRE(seq <= steps);
        const std::string label = labels[seq - 1];
        CAPTURE(label);
        keep_written_prefix(label, call);
        keep_written_prefix(label, probed[seq]);
        CHECK(first_difference(probed[seq], call) == "");
    }
}
