// The only code that talks to ncurses: opens the terminal (ncursesw, keypad,
// no echo, cbreak so that Ctrl-C still signals), draws frames with colour pairs
// (or bold/reverse without colour), reads keys, follows resizes, and restores
// the terminal on every way out, crash signals included.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "monitor/views/dashboard/frame.hpp"
#include "monitor/views/dashboard/key_table.hpp"
#include "monitor/views/dashboard/text_fit.hpp"

struct screen;  // ncurses' SCREEN

namespace pcscspy::dashboard {

class CursesScreen {
public:
    struct Options {
        bool color = true;      // when the terminal has colours
        FILE* out = nullptr;    // default: stdout
        FILE* in = nullptr;     // default: stdin
        const char* term = nullptr;  // default: $TERM
    };
    // nullptr and an error message when the terminal cannot be used.
    static std::unique_ptr<CursesScreen> open(const Options& options, std::string& error);
    ~CursesScreen();
    CursesScreen(const CursesScreen&) = delete;
    CursesScreen& operator=(const CursesScreen&) = delete;

    int rows() const;
    int cols() const;
    bool has_color() const { return color_; }
    const Glyphs& glyphs() const { return glyphs_; }

    // Draws the frame (only what differs from the terminal's content is sent).
    void draw(const Frame& frame);
    // Keys waiting on the input, translated to keys::... or characters; never blocks.
    std::vector<int> read_keys();
    // The terminal's size changed: takes the new size (from the tty) now.
    void resize();
    // Resizes the off-screen terminal (benchmarks).
    void resize_to(int rows, int cols);

    // Makes SIGSEGV, SIGABRT, SIGBUS, SIGFPE and SIGILL restore the terminal
    // before the process dies of them (the handler re-raises the signal).
    static void restore_on_crash();

private:
    CursesScreen() = default;
    unsigned long attributes(Role role, bool selected) const;
    unsigned long light_attributes(const Light& light) const;

    struct screen* screen_ = nullptr;
    bool color_ = false;
    bool grey_ = false;  // a grey colour exists (else dim text uses A_DIM)
    Glyphs glyphs_;
};

}  // namespace pcscspy::dashboard
