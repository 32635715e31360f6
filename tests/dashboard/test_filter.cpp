// The filter expression (f): the list, its heading ("Calls N of M") and the
// statistics follow it (and the process and reader filters); bad expressions
// say why; the manual documents every field and every key.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "monitor/views/dashboard/key_table.hpp"
#include "support.hpp"

using namespace pcscspy;
using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("filter: f takes an expression, the list, its heading and the statistics follow it") {
    Keys k;
    workload(k.d);
    k.press({'f'});
    CHECK(k.d.ui.filter_prompt.editing);
    CHECK(k.screen().find("filter: _") != std::string::npos);
    k.type("ins==A4 && sw!=9000");
    CHECK(k.d.ui.filter_prompt.error.empty());
    CHECK(k.screen().find("Enter apply") != std::string::npos);
    k.press({keys::Enter});
    CHECK_FALSE(k.d.ui.filter_prompt.editing);
    REQUIRE(k.d.ui.filter.expression);
    // The SELECT answered 9000: nothing passes.
    std::string s = k.screen();
    CHECK(s.find("filter: ins==A4 && sw!=9000") != std::string::npos);
    CHECK(s.find("Calls 0 of 8") != std::string::npos);
    CHECK(s.find("no call passes the filter") != std::string::npos);
    CHECK(k.d.ui.message.text == "0 kept calls pass the filter (f edits it, c clears it)");

    // f again edits the expression in force.
    k.press({'f'});
    CHECK(k.d.ui.filter_prompt.input == "ins==A4 && sw!=9000");
    for (size_t i = 0; i < std::string_view("ins==A4 && sw!=9000").size(); ++i) k.press({keys::Backspace});
    k.type("sw==6XXX || fn==Disconnect");
    k.press({keys::Enter});
    s = k.screen();
    CHECK(s.find("Calls 2 of 8") != std::string::npos);
    CHECK(s.find("READ BINARY") != std::string::npos);  // 6B00
    CHECK(s.find("SCardDisconnect") != std::string::npos);
    CHECK(s.find("GET CHALLENGE") == std::string::npos);
    // The statistics are of those two calls only, and say so.
    const std::string transmit_row = line_with(s.substr(s.find("Time by function")), "SCardTransmit    ");
    CHECK(s.find("SHARE  filtered") != std::string::npos);
    CHECK(transmit_row.find("   1   ") != std::string::npos);
    CHECK(s.find("SCardEstablishContext") == std::string::npos);
    k.press({'s'});
    s = k.screen();
    CHECK(line_with(s, "Time by reader").find("filtered") != std::string::npos);
    CHECK(s.find("Reader A") != std::string::npos);
    CHECK(s.find("Reader B") != std::string::npos);
    k.press({'s'});
    s = k.screen();
    CHECK(line_with(s, "Time by process").find("filtered") != std::string::npos);

    // New calls are counted as they come.
    k.d.feed(Events::transmit(1, 3'000'000, 5, 111, "Reader A", "00CA9F7F00", "6A88"));
    CHECK(k.screen().find("Calls 3 of 9") != std::string::npos);

    // c clears it: the session's numbers again.
    k.press({'c'});
    s = k.screen();
    CHECK(s.find("Calls 9") != std::string::npos);
    CHECK(s.find(" of ") == std::string::npos);
    CHECK(s.find("filtered") == std::string::npos);
}

TEST_CASE("filter: a bad expression says why, and the prompt keeps it to be mended") {
    Keys k;
    workload(k.d);
    k.press({'f'});
    k.type("dur>50");
    CHECK(k.d.ui.filter_prompt.error == "column 5: dur needs a unit: 50ms, 50us or 50s?");
    CHECK(k.screen(40, 160).find("column 5: dur needs a unit") != std::string::npos);
    k.press({keys::Enter});
    CHECK(k.d.ui.filter_prompt.editing);
    CHECK_FALSE(k.d.ui.filter.expression);
    CHECK(k.d.ui.message.role == Role::Error);
    CHECK(k.d.ui.message.text == "bad filter: column 5: dur needs a unit: 50ms, 50us or 50s?");
    k.type("ms");
    CHECK(k.d.ui.filter_prompt.error.empty());
    k.press({keys::Enter});
    REQUIRE(k.d.ui.filter.expression);
    CHECK(k.d.ui.filter.expression->text() == "dur>50ms");
    // Esc leaves the filter in force as it was; an empty expression removes it.
    k.press({'f'});
    k.type(" || error");
    k.press({keys::Escape});
    CHECK(k.d.ui.filter.expression->text() == "dur>50ms");
    k.press({'f'});
    for (int i = 0; i < 8; ++i) k.press({keys::Backspace});
    k.press({keys::Enter});
    CHECK_FALSE(k.d.ui.filter.expression);
    CHECK(k.d.ui.message.text == "filter expression removed");
}

TEST_CASE("filter: the process filter (p) also makes the statistics and the heading follow") {
    Keys k;
    workload(k.d);
    k.press({'p', 'p'});  // beta
    std::string s = k.screen();
    CHECK(s.find("Calls 4 of 8") != std::string::npos);
    CHECK(s.find("SCardTransmit") != std::string::npos);
    const std::string transmit_row = line_with(s.substr(s.find("Time by function")), "SCardTransmit");
    CHECK(transmit_row.find("       1 ") != std::string::npos);  // beta's one transmit, not the session's three
}

TEST_CASE("the manual page documents every filter field and every key of the table") {
    std::ifstream in(std::string(PCSCSPY_SOURCE_DIR) + "/man/pcscspy-top.1");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string man = ss.str();
    const size_t from = man.find(".SS Filter expressions"), to = man.find(".SS Colours");
    REQUIRE(from != std::string::npos);
    REQUIRE(to > from);
    const std::string section = man.substr(from, to - from);
    for (const std::string& line : CallFilterExpression::field_help()) {
        for (std::string name : {line.substr(0, line.find_first_of("| ")),
                                 line.find('|') < line.find(' ') ? line.substr(line.find('|') + 1, line.find(' ') - line.find('|') - 1)
                                                                 : std::string()}) {
            if (name.empty()) continue;
            CAPTURE(name);
            CHECK((section.find(".BR " + name + " ") != std::string::npos ||
                   section.find(".B " + name + "\n") != std::string::npos ||
                   section.find(", " + name + " ") != std::string::npos || section.find(" " + name + "\n") != std::string::npos ||
                   section.find("\" " + name + " \"") != std::string::npos));  // .BR pid ", " tid ", " seq
        }
    }
    // Keys: each Main and Pane key's label is in the Keys section.
    const std::string keys = man.substr(man.find(".SS Keys"), man.find(".SS Filter expressions") - man.find(".SS Keys"));
    const std::map<std::string_view, std::string_view> spelled = {
        {"↑", "Up"}, {"↓", "Down"}, {"←", "Left"}, {"→", "Right"}, {"S-Tab", "Shift-Tab"}, {"space", "space"}};
    for (const KeyBinding& k : key_table()) {
        if (k.scope != KeyScope::Main) continue;
        std::string label(k.label);
        if (auto it = spelled.find(k.label); it != spelled.end()) label = it->second;
        CAPTURE(label);
        CHECK(keys.find(label) != std::string::npos);
    }
}
