// The key table is the one description of the keys: no key is bound twice, the
// contract's keys are there, and the help overlay lists every one of them.
#include <doctest/doctest.h>

#include <set>

#include "monitor/views/dashboard/key_table.hpp"
#include "support.hpp"

using namespace pcscspy::dashboard;
using namespace pcscspy::dashboard::test;

TEST_CASE("keys: no key is bound twice in the same place") {
    std::set<std::pair<KeyScope, int>> seen;
    for (const KeyBinding& k : key_table()) {
        CAPTURE(k.label);
        CHECK(seen.insert({k.scope, k.key}).second);
        CHECK_FALSE(k.label.empty());
        CHECK_FALSE(k.description.empty());
    }
}

TEST_CASE("keys: the contract's dashboard keys do what it says") {
    struct Case {
        int key;
        Action action;
    } cases[] = {
        {'p', Action::CycleProcess}, {'r', Action::CycleReader},   {'c', Action::ClearFilters},
        {'d', Action::Dump},         {keys::Enter, Action::Open},  {keys::Up, Action::Up},
        {keys::Down, Action::Down},  {keys::PageUp, Action::PageUp}, {keys::PageDown, Action::PageDown},
        {keys::Home, Action::Home},  {keys::End, Action::End},     {' ', Action::Pause},
        {'/', Action::Search},       {'?', Action::Help},          {'q', Action::Quit},
        {'s', Action::CycleStats},   {'k', Action::Findings},      {'n', Action::NextMatch},
    };
    for (const Case& c : cases) {
        CAPTURE(c.key);
        const KeyBinding* b = find_binding(KeyScope::Main, c.key);
        REQUIRE(b);
        CHECK(b->action == c.action);
    }
    // Overlays close with Esc, q and (detail, help) Enter.
    CHECK(find_binding(KeyScope::Overlay, keys::Escape)->action == Action::Close);
    CHECK(find_binding(KeyScope::Overlay, 'q')->action == Action::Close);
    CHECK(find_binding(KeyScope::Overlay, keys::Enter)->action == Action::Open);
    CHECK(find_binding(KeyScope::Main, 'x') == nullptr);
}

TEST_CASE("keys: the help overlay lists every key of the table, with its description") {
    const Glyphs g = Glyphs::for_locale(true);
    std::vector<StyledLine> help = help_lines(g);
    std::string text = text_of(help);
    for (const KeyBinding& k : key_table()) {
        CAPTURE(k.label);
        bool listed = false;
        for (const StyledLine& l : help) {
            // The key column holds the labels of one action, space separated.
            if (l.spans.size() < 3 || l.spans[1].role != Role::Key) continue;
            std::string labels = " " + l.spans[1].text + " ";
            if (labels.find(" " + std::string(k.label) + " ") != std::string::npos &&
                l.spans[2].text == k.description)
                listed = true;
        }
        CHECK(listed);
    }
    // And the lights.
    CHECK(text.find("call in flight") != std::string::npos);
    CHECK(text.find("recent error") != std::string::npos);
    // And which programs appear: the system-wide capture's options.
    CHECK(text.find("sudo pcscspy-top") != std::string::npos);
    CHECK(text.find("--no-attach") != std::string::npos);
    CHECK(text.find("--pid") != std::string::npos);
}

TEST_CASE("keys: the footer's hints come from the table and keep q") {
    std::vector<const KeyBinding*> hints = footer_hints();
    REQUIRE_FALSE(hints.empty());
    for (const KeyBinding* k : hints) CHECK(k->scope == KeyScope::Main);
    CHECK(hints.back()->key == 'q');
    Dashboard d;
    d.ui.message = {"session dumped to /tmp/some/long/path/pcscspy-dump-20260101-120000.json", Role::Ok};
    StyledLine f = footer(d.now(), d.ui, 80);
    CHECK(display_width(f.text()) == 80);
    CHECK(f.text().find("pcscspy-dump-20260101-120000.json") != std::string::npos);
    CHECK(span_with(f, "quit"));
    d.ui.message = {};
    f = footer(d.now(), d.ui, 200);
    for (const KeyBinding* k : hints) CHECK(span_with(f, k->hint));
}
