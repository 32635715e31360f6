#include "monitor/views/dashboard/key_table.hpp"

#include <algorithm>

#include "monitor/model/call_filter_expression.hpp"

namespace pcscspy::dashboard {

namespace {

using enum Action;
using enum KeyScope;

constexpr KeyBinding kKeys[] = {
    {Main, '?', "?", "this help", Help, "help"},
    {Main, keys::F1, "F1", "this help", Help},
    {Main, keys::Up, "↑", "select the previous (older) call", Up},
    {Main, keys::Down, "↓", "the next call; past the newest one, follow live again", Down},
    {Main, keys::PageUp, "PgUp", "a page of older calls", PageUp},
    {Main, keys::PageDown, "PgDn", "a page of newer calls", PageDown},
    {Main, keys::Home, "Home", "the oldest kept call", Home},
    {Main, keys::End, "End", "the newest call, and follow live", End},
    {Main, keys::Enter, "Enter", "detail of the call: arguments, hex dumps, APDU breakdown, ATR", Open, "detail"},
    {Main, ' ', "space", "pause / resume the list (events are still collected)", Pause, "pause"},
    {Main, 'p', "p", "process filter: all, each process in turn, all", CycleProcess, "proc"},
    {Main, 'r', "r", "reader filter: all, each reader in turn, all", CycleReader, "reader"},
    {Main, 'f', "f", "filter by an expression: ins==A4 && sw!=9000, fn==Transmit && dur>50ms", Filter, "filter"},
    {Main, 'c', "c", "clear the filters and the search", ClearFilters, "clear"},
    {Main, '/', "/", "search calls: function, reader, exe, INS, SW, return code, hex", Search, "search"},
    {Main, 'n', "n", "next match, going back in time", NextMatch},
    {Main, 'N', "N", "previous match, going forward in time", PreviousMatch},
    {Main, keys::Left, "←", "scroll the call text left", ScrollLeft},
    {Main, keys::Right, "→", "scroll the call text right (long APDUs)", ScrollRight},
    {Main, keys::Tab, "Tab", "focus the next pane: calls, processes, readers (then Up, Down, Enter pick a row)", NextPane},
    {Main, keys::BackTab, "S-Tab", "focus the previous pane", PreviousPane},
    {Main, 'o', "o", "sort the processes by the next column (NAME PID CALLS ERR RATE)", SortProcesses},
    {Main, 'O', "O", "reverse the processes' order", ReverseProcesses},
    {Main, 'T', "T", "processes as a tree (parent, then its children)", ProcessTree},
    {Main, 's', "s", "statistics per function, per reader, per process", CycleStats, "stats"},
    {Main, 'S', "S", "hide / show the statistics (the call list takes their room)", ToggleStats},
    {Main, 'k', "k", "correctness findings (leaks, misuse, busy polling...)", Findings, "checks"},
    {Main, '!', "!", "correctness findings (leaks, misuse, busy polling...)", Findings},
    {Main, 'd', "d", "dump the session to a file now (its name shows below)", Dump, "dump"},
    {Main, 'q', "q", "quit", Quit, "quit"},

    {Pane, keys::Up, "↑", "select the previous row", Up},
    {Pane, keys::Down, "↓", "select the next row", Down},
    {Pane, keys::PageUp, "PgUp", "a page up", PageUp},
    {Pane, keys::PageDown, "PgDn", "a page down", PageDown},
    {Pane, keys::Home, "Home", "the first row", Home},
    {Pane, keys::End, "End", "the last row", End},
    {Pane, keys::Enter, "Enter", "filter the calls by this process or reader (again: no longer)", Pick},
    {Pane, keys::Escape, "Esc", "back to the call list", LeavePane},

    {Overlay, keys::Up, "↑", "scroll up (findings: previous)", Up},
    {Overlay, keys::Down, "↓", "scroll down (findings: next)", Down},
    {Overlay, keys::PageUp, "PgUp", "a page up", PageUp},
    {Overlay, keys::PageDown, "PgDn", "a page down", PageDown},
    {Overlay, keys::Home, "Home", "the top", Home},
    {Overlay, keys::End, "End", "the bottom", End},
    {Overlay, keys::Enter, "Enter", "findings: show the call in the list; detail, help: close", Open},
    {Overlay, keys::Escape, "Esc", "close", Close},
    {Overlay, 'q', "q", "close", Close},
    {Overlay, '?', "?", "close", Close},

    {Prompt, keys::Enter, "Enter", "search: the nearest match, going back in time; filter: apply it (empty: none)",
     PromptConfirm},
    {Prompt, keys::Escape, "Esc", "cancel", PromptCancel},
    {Prompt, keys::Backspace, "Backspace", "erase the last character", PromptErase},
};

constexpr Named kScopeTitles[] = {
    {static_cast<uint64_t>(Main), "Main screen"},
    {static_cast<uint64_t>(Pane), "Process and reader panes (after Tab; the other keys as above)"},
    {static_cast<uint64_t>(Overlay), "Detail, findings and help views"},
    {static_cast<uint64_t>(Prompt), "Search and filter prompts (type the text)"},
};

}  // namespace

std::span<const KeyBinding> key_table() { return kKeys; }

const KeyBinding* find_binding(KeyScope scope, int key) {
    for (const KeyBinding& k : kKeys)
        if (k.scope == scope && k.key == key) return &k;
    return nullptr;
}

std::vector<StyledLine> help_lines(const Glyphs& glyphs) {
    // Per scope, one line per action: all its keys, then what it does.
    struct HelpEntry {
        KeyScope scope;
        std::string keys;
        std::string_view description;
    };
    std::vector<HelpEntry> entries;
    std::vector<bool> done(std::size(kKeys));
    size_t key_column = 0;
    for (size_t i = 0; i < std::size(kKeys); ++i) {
        if (done[i]) continue;
        const KeyBinding& k = kKeys[i];
        std::string labels;
        for (size_t j = i; j < std::size(kKeys); ++j) {
            const KeyBinding& o = kKeys[j];
            if (o.scope == k.scope && o.action == k.action && o.description == k.description) {
                labels += (labels.empty() ? "" : " ") + display_text(o.label, glyphs);
                done[j] = true;
            }
        }
        key_column = std::max(key_column, display_width(labels) + 2);
        entries.push_back({k.scope, std::move(labels), k.description});
    }
    std::vector<StyledLine> lines;
    for (const Named& scope : kScopeTitles) {
        if (!lines.empty()) lines.emplace_back();
        lines.push_back(StyledLine{}.add(std::string(scope.name), Role::Strong));
        for (const HelpEntry& e : entries) {
            if (e.scope != static_cast<KeyScope>(scope.value)) continue;
            StyledLine l;
            l.add(" ").add(fit(e.keys, key_column, glyphs), Role::Key).add(display_text(e.description, glyphs));
            lines.push_back(std::move(l));
        }
    }
    lines.emplace_back();
    // The filter's language, from its own table.
    lines.push_back(StyledLine{}.add("Filter expressions (f)", Role::Strong));
    lines.push_back(StyledLine{}.add(" field OP value, joined by && || ! ( ); OP: == != < <= > >= contains", Role::Normal));
    lines.push_back(StyledLine{}.add(" a bare field: the call has it; a comparison with a field it lacks is false", Role::Dim));
    for (const std::string& field : CallFilterExpression::field_help())
        lines.push_back(StyledLine{}.add(" ").add(display_text(field, glyphs)));
    lines.emplace_back();
    // The lights, drawn as the panes draw them.
    StyledLine lights;
    lights.add("Lights:");
    for (const Named& kind : kLightKinds) {
        Light light{static_cast<LightKind>(kind.value), LightLevel::Bright};
        lights.add("  ");
        lights.spans.push_back(Span{std::string(kind.name), Role::Normal, light});
        lights.add(" " + std::string(kind.meaning));
    }
    lines.push_back(std::move(lights));
    lines.push_back(StyledLine{}.add("         results fade in 1.5 s; without colour: . * + ! o", Role::Dim));
    // Which programs appear (pcscspy-top(1): the command line, SYSTEM-WIDE CAPTURE).
    lines.emplace_back();
    lines.push_back(StyledLine{}.add("Programs shown", Role::Strong));
    lines.push_back(StyledLine{}.add(" as root (sudo pcscspy-top): every program that uses libpcsclite"));
    lines.push_back(StyledLine{}.add(" otherwise, or with --no-attach: the programs traced with pcscspy-run"));
    lines.push_back(StyledLine{}.add(" --pid PID[,PID...]: only these processes"));
    return lines;
}

std::vector<const KeyBinding*> footer_hints() {
    std::vector<const KeyBinding*> out;
    for (const KeyBinding& k : kKeys)
        if (k.scope == KeyScope::Main && !k.hint.empty()) out.push_back(&k);
    return out;
}

}  // namespace pcscspy::dashboard
