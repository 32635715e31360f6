// The interposer as a shared object: what it exports and what it needs.
#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "support/harness.hpp"

using namespace pcscspy::test;

namespace {

std::set<std::string> defined_symbols(const std::string& library) {
    ChildResult r = run({"nm", "-D", "--defined-only", library});
    REQUIRE(r.status == 0);
    std::set<std::string> names;
    std::istringstream in(r.out);
    for (std::string address, type, name; in >> address >> type >> name;) names.insert(name);
    return names;
}

}  // namespace

TEST_CASE("it exports what libpcsclite.so.1 exports plus the dlopen hook and nothing else") {
    std::set<std::string> expected = defined_symbols(PCSCSPY_SYSTEM_LIBPCSCLITE);
    REQUIRE(expected.count("SCardTransmit"));
    REQUIRE(expected.count("g_rgSCardT0Pci"));
    expected.insert("dlopen");
    CHECK(defined_symbols(Artifacts::interposer()) == expected);
}

TEST_CASE("it needs nothing from a C++ runtime: no libstdc++ nor libgcc_s nor their symbols") {
    ChildResult undefined = run({"nm", "-D", "--undefined-only", Artifacts::interposer()});
    REQUIRE(undefined.status == 0);
    CHECK(undefined.out.find("GLIBCXX") == std::string::npos);
    CHECK(undefined.out.find("CXXABI") == std::string::npos);
    CHECK(undefined.out.find("GCC_") == std::string::npos);
    CHECK(undefined.out.find("_Unwind") == std::string::npos);
    ChildResult dynamic = run({"readelf", "-d", Artifacts::interposer()});
    REQUIRE(dynamic.status == 0);
    CHECK(dynamic.out.find("libstdc++") == std::string::npos);
    CHECK(dynamic.out.find("libgcc_s") == std::string::npos);
    CHECK(dynamic.out.find("NODELETE") != std::string::npos);  // never unloaded under its flusher
    CHECK(dynamic.out.find("Library soname: [libpcscspy-interposer.so]") != std::string::npos);
}

TEST_CASE("no code of its own runs at load time: no static constructor") {
    ChildResult symbols = run({"nm", Artifacts::interposer()});
    REQUIRE(symbols.status == 0);
    CHECK(symbols.out.find("_GLOBAL__sub_I") == std::string::npos);
    CHECK(symbols.out.find("eh_alloc") == std::string::npos);  // libsupc++'s allocating pool
}
