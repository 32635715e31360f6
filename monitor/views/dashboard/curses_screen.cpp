#include "monitor/views/dashboard/curses_screen.hpp"

#include <langinfo.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include <curses.h>

namespace pcscspy::dashboard {

namespace {

// Colour pairs: one per role, then the lights, then the selection bar.
// fg/bg -1: the terminal's default; kGrey: bright black when the terminal has
// 16 colours or more, else the default colour with A_DIM.
constexpr short kGrey = -2;

struct RoleStyle {
    Role role;
    short fg, bg;
    attr_t colour_attrs;  // with colour
    attr_t mono_attrs;    // without colour (TERM=vt100, --no-color, NO_COLOR)
};

const RoleStyle kRoleStyles[] = {
    {Role::Normal, -1, -1, A_NORMAL, A_NORMAL},
    {Role::Dim, kGrey, -1, A_NORMAL, A_DIM},
    {Role::Strong, -1, -1, A_BOLD, A_BOLD},
    {Role::Ok, COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    {Role::Warn, COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    {Role::Error, COLOR_RED, -1, A_BOLD, A_BOLD},
    {Role::Info, COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    {Role::Accent, COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL},
    {Role::Heading, COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_UNDERLINE},
    {Role::HeadingTitle, COLOR_BLACK, COLOR_GREEN, A_BOLD, A_BOLD | A_UNDERLINE},
    {Role::Bar, COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE},
    {Role::BarStrong, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD},
    {Role::Live, COLOR_BLACK, COLOR_GREEN, A_BOLD, A_BOLD},
    {Role::Paused, COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_BOLD | A_BLINK},
    {Role::Key, -1, -1, A_BOLD, A_BOLD},
    {Role::KeyLabel, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    {Role::Border, COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
};
static_assert(std::size(kRoleStyles) == kRoleCount);

constexpr short kLightPairBase = static_cast<short>(kRoleCount + 1);  // + LightKind
constexpr short kSelectedPair = kLightPairBase + 5;

struct LightStyle {
    LightKind kind;
    short fg;
};
constexpr LightStyle kLightStyles[] = {
    {LightKind::Idle, kGrey},
    {LightKind::InFlight, COLOR_YELLOW},
    {LightKind::Success, COLOR_GREEN},
    {LightKind::Error, COLOR_RED},
    {LightKind::Card, COLOR_BLUE},
};

// ncurses keys to the controller's.
struct KeyTranslation {
    int curses;
    int key;
};
const KeyTranslation kKeyTranslations[] = {
    {KEY_UP, keys::Up},         {KEY_DOWN, keys::Down},       {KEY_PPAGE, keys::PageUp}, {KEY_NPAGE, keys::PageDown},
    {KEY_HOME, keys::Home},     {KEY_END, keys::End},         {KEY_FIND, keys::Home},    {KEY_SELECT, keys::End},
    {KEY_A1, keys::Home},       {KEY_C1, keys::End},          {KEY_A3, keys::PageUp},    {KEY_C3, keys::PageDown},
    {KEY_ENTER, keys::Enter},   {KEY_BACKSPACE, keys::Backspace}, {KEY_F(1), keys::F1},  {KEY_RESIZE, keys::Resize},
    {KEY_LEFT, keys::Left},     {KEY_RIGHT, keys::Right},     {KEY_BTAB, keys::BackTab},
};
// Home and End as terminals send them whatever TERM says (tmux and screen send
// ESC[1~ / ESC[4~ even under TERM=xterm*, rxvt ESC[7~ / ESC[8~, xterm ESC[H,
// ESC OH...): taught to ncurses so that they never read as Esc + letters.
struct KeySequence {
    const char* sequence;
    int curses;
};
const KeySequence kExtraSequences[] = {
    {"\033[1~", KEY_HOME}, {"\033[7~", KEY_HOME}, {"\033[H", KEY_HOME}, {"\033OH", KEY_HOME},
    {"\033[4~", KEY_END},  {"\033[8~", KEY_END},  {"\033[F", KEY_END},  {"\033OF", KEY_END},
};

const KeyTranslation kCharTranslations[] = {
    {'\n', keys::Enter}, {'\r', keys::Enter}, {27, keys::Escape}, {127, keys::Backspace}, {8, keys::Backspace},
    {'\t', keys::Tab},
};

// The screen the crash handler restores (one dashboard per process).
std::atomic<bool> g_curses_active{false};

void crash_handler(int sig) {
    // endwin() is not async-signal-safe, but the process is dying: leaving the
    // terminal in raw mode on the alternate screen is worse than the risk.
    if (g_curses_active.exchange(false)) endwin();
    raise(sig);  // SA_RESETHAND: the default action runs once this returns
}

}  // namespace

std::unique_ptr<CursesScreen> CursesScreen::open(const Options& o, std::string& error) {
    std::unique_ptr<CursesScreen> s(new CursesScreen());
    FILE* out = o.out ? o.out : stdout;
    FILE* in = o.in ? o.in : stdin;
    s->screen_ = newterm(o.term, out, in);
    if (!s->screen_) {
        const char* term = o.term ? o.term : std::getenv("TERM");
        error = std::string("cannot use the terminal (TERM=") + (term ? term : "unset") + ")";
        return nullptr;
    }
    set_term(s->screen_);
    g_curses_active = true;
    const char* codeset = nl_langinfo(CODESET);
    s->glyphs_ = Glyphs::for_locale(codeset && std::strcmp(codeset, "UTF-8") == 0);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    for (const KeySequence& k : kExtraSequences) define_key(k.sequence, k.curses);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    leaveok(stdscr, TRUE);
    // No typeahead check during refresh: held-down keys would postpone whole
    // frames (curses' line-breakout); the loop reads keys between frames anyway.
    typeahead(-1);
    if (o.color && has_colors() && start_color() == OK) {
        s->color_ = true;
        use_default_colors();
        s->grey_ = COLORS >= 16;
        auto fg_of = [&](short fg) -> short { return fg == kGrey ? (s->grey_ ? 8 : -1) : fg; };
        for (size_t i = 0; i < std::size(kRoleStyles); ++i)
            init_pair(static_cast<short>(i + 1), fg_of(kRoleStyles[i].fg), kRoleStyles[i].bg);
        for (const LightStyle& l : kLightStyles)
            init_pair(static_cast<short>(kLightPairBase + static_cast<short>(l.kind)), fg_of(l.fg), -1);
        init_pair(kSelectedPair, COLOR_BLACK, COLOR_CYAN);
    }
    return s;
}

CursesScreen::~CursesScreen() {
    if (screen_) {
        if (g_curses_active.exchange(false)) endwin();
        delscreen(screen_);
    }
}

int CursesScreen::rows() const { return LINES; }
int CursesScreen::cols() const { return COLS; }

unsigned long CursesScreen::attributes(Role role, bool selected) const {
    const RoleStyle& st = kRoleStyles[static_cast<size_t>(role)];
    if (!color_) return selected ? (st.mono_attrs & ~A_REVERSE & ~A_UNDERLINE) | A_REVERSE : st.mono_attrs;
    if (selected) return COLOR_PAIR(kSelectedPair) | (st.colour_attrs & A_BOLD);
    attr_t a = COLOR_PAIR(static_cast<short>(static_cast<size_t>(role) + 1)) | st.colour_attrs;
    if (st.fg == kGrey && !grey_) a |= A_DIM;
    return a;
}

unsigned long CursesScreen::light_attributes(const Light& light) const {
    attr_t level = light.level == LightLevel::Bright ? A_BOLD : light.level == LightLevel::Dim ? A_DIM : A_NORMAL;
    if (!color_) return light.kind == LightKind::Idle ? A_NORMAL : level;
    attr_t a = COLOR_PAIR(static_cast<short>(kLightPairBase + static_cast<short>(light.kind))) | level;
    if (light.kind == LightKind::Idle && !grey_) a |= A_DIM;
    return a;
}

void CursesScreen::draw(const Frame& frame) {
    erase();
    for (const PlacedLine& pl : frame.lines) {
        if (pl.y < 0 || pl.y >= LINES) continue;
        int x = pl.x;
        for (const Span& s : pl.line.spans) {
            if (x >= COLS) break;
            if (s.light) {
                attrset(static_cast<attr_t>(light_attributes(*s.light)));
                // With colour the light is a dot coloured by its kind; without, its character.
                mvaddstr(pl.y, x, color_ ? std::string(glyphs_.light_on).c_str() : s.text.c_str());
            } else {
                attrset(static_cast<attr_t>(attributes(s.role, pl.line.selected)));
                // Writing into the bottom-right cell reports an error (the
                // cursor cannot move past it) although the character is shown.
                mvaddnstr(pl.y, x, s.text.c_str(), static_cast<int>(s.text.size()));
            }
            x += static_cast<int>(display_width(s.text));
        }
    }
    attrset(A_NORMAL);
    refresh();
}

std::vector<int> CursesScreen::read_keys() {
    std::vector<int> out;
    wint_t ch;
    for (int n = 0; n < 256; ++n) {
        int r = get_wch(&ch);
        if (r == ERR) break;
        int key = static_cast<int>(ch);
        if (r == KEY_CODE_YES) {
            int translated = -1;
            for (const KeyTranslation& t : kKeyTranslations)
                if (t.curses == key) translated = t.key;
            if (translated >= 0) out.push_back(translated);
            continue;
        }
        for (const KeyTranslation& t : kCharTranslations)
            if (t.curses == key) key = t.key;
        out.push_back(key);
    }
    return out;
}

void CursesScreen::resize() {
    winsize ws{};
    if (ioctl(fileno(stdout), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) resize_to(ws.ws_row, ws.ws_col);
}

void CursesScreen::resize_to(int rows, int cols) {
    resizeterm(rows, cols);
    clearok(curscr, TRUE);  // repaint everything: the terminal may have reflowed
}

void CursesScreen::restore_on_crash() {
    struct sigaction sa {};
    sa.sa_handler = crash_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
}

}  // namespace pcscspy::dashboard
