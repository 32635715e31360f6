// pcsc-tools' smartcard_list.txt: parsing, pattern matching, lookups, and the
// hand-written matcher against std::regex on the installed list.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support.hpp"
#include "protocol/card_list.hpp"
#include "protocol/hex.hpp"

using namespace pcscspy;
using pcscspy::test::hex;

namespace {

constexpr std::string_view kSample =
    "#\n"
    "# smartcard_list.txt sample\n"
    "\tan orphan description, ignored\n"
    "\n"
    "3B 95 13 81 01 80 73 FF 01 00 0B\n"
    "\tvsmartcard - iso7816 (Other)\n"
    "\thttps://frankmorgner.github.io/vsmartcard/\n"
    "\n"
    "3b 02 14 50\n"                        // lower case
    "\tSchlumberger Multiflex 3k\n"
    "\n"
    "3B 8F 80 01 80 4F 0C A0 00 00 03 06 .. 00 .. 00 00 00 00 ..  \r\n"  // wildcards, trailing blanks, CRLF
    "\tRFID - ISO 14443 Type A - Transponder\r\n"
    "\n"
    "3B 65 00 00 9C 1[01] 01 01 03\n"      // character class
    "3B 65 00 00 9C 02 02 01 02\n"         // shares the descriptions below
    "\tSchlumberger Cyberflex Access\n"
    "\tcontains a \x1b[31m control \x7f sequence, and caf\xc3\xa9 \xff\n"
    "\n"
    "3B EF 00 FF 81 31 .. 45 .* 38\n"      // .* runs over several bytes
    "\tBull Odyssey\n"
    "\n"
    "3B (AA|BB) 00\n"                      // syntax outside the subset
    "\tnever matches\n";
}  // namespace

TEST_CASE("parse: entries, shared descriptions, comments and orphans") {
    CardList list = CardList::parse(kSample);
    const auto& e = list.entries();
    REQUIRE(e.size() == 7);
    CHECK(e[0].pattern == "3B 95 13 81 01 80 73 FF 01 00 0B");
    CHECK(e[0].line == 5);
    CHECK(e[0].descriptions == std::vector<std::string>{"vsmartcard - iso7816 (Other)",
                                                         "https://frankmorgner.github.io/vsmartcard/"});
    CHECK(e[2].pattern == "3B 8F 80 01 80 4F 0C A0 00 00 03 06 .. 00 .. 00 00 00 00 ..");
    CHECK(e[2].descriptions == std::vector<std::string>{"RFID - ISO 14443 Type A - Transponder"});
    CHECK(e[3].descriptions == e[4].descriptions);
    REQUIRE(e[4].descriptions.size() == 2);
    CHECK(e[4].descriptions[1] == "contains a ?[31m control ? sequence, and caf\xc3\xa9 ?");
    CHECK(list.unsupported_patterns() == 1);
    CHECK_FALSE(e[6].supported);
    CHECK(CardList::parse("").entries().empty());
    CHECK(CardList::parse("\t\t\n#\n\n").entries().empty());
}

TEST_CASE("lookup: exact, wildcard, class, star; descriptions in file order") {
    CardList list = CardList::parse(kSample);
    CHECK(list.describe(hex("3B9513810180 73FF01000B")) ==
          std::vector<std::string>{"vsmartcard - iso7816 (Other)", "https://frankmorgner.github.io/vsmartcard/"});
    CHECK(list.describe(hex("3B 02 14 50")) == std::vector<std::string>{"Schlumberger Multiflex 3k"});
    CHECK(list.describe(hex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")).size() == 1);
    CHECK(list.lookup(hex("3B 65 00 00 9C 11 01 01 03")).size() == 1);
    CHECK(list.lookup(hex("3B 65 00 00 9C 10 01 01 03")).size() == 1);
    CHECK(list.lookup(hex("3B 65 00 00 9C 12 01 01 03")).empty());
    CHECK(list.lookup(hex("3B 65 00 00 9C 02 02 01 02"))[0]->line == 16);
    CHECK(list.lookup(hex("3B EF 00 FF 81 31 20 45 01 38")).size() == 1);
    CHECK(list.lookup(hex("3B EF 00 FF 81 31 20 45 38")).empty());  // ".*" sits between two spaces
    CHECK(list.lookup(hex("3B EF 00 FF 81 31 20 45 01 02 03 38")).size() == 1);
    CHECK(list.lookup(hex("3B EF 00 FF 81 31 20 45 01 02 03 39")).empty());
    CHECK(list.lookup(hex("3B 95 13 81 01 80 73 FF 01 00")).empty());       // prefix only
    CHECK(list.lookup(hex("3B 95 13 81 01 80 73 FF 01 00 0B 00")).empty());  // anchored at the end
    CHECK(list.lookup(hex("3B AA 00")).empty());
    CHECK(list.lookup({}).empty());
    CHECK(CardList().lookup(hex("3B 02 14 50")).empty());
    Bytes huge(CardList::kMaxAtrLength + 1, 0x00);
    CHECK(CardList::parse(".*").lookup(huge).empty());
    CHECK(CardList::parse(".*").lookup(ByteView(huge).first(CardList::kMaxAtrLength)).size() == 1);
}

TEST_CASE("card_pattern_matches: the regex subset of smartcard_list.txt") {
    struct Case {
        const char* pattern;
        const char* text;
        bool match;
    };
    for (Case c : {Case{"3B 02", "3B 02", true}, Case{"3b 02", "3B 02", true}, Case{"3B ..", "3B 9F", true},
                   Case{"3B ..", "3B 9F 00", false}, Case{"3B 0[1-5]", "3B 03", true}, Case{"3B 0[1-5]", "3B 06", false},
                   Case{"3B 3[1,3]", "3B 33", true}, Case{"3B 3[1,3]", "3B 32", false}, Case{"3B [^0]0", "3B 10", true},
                   Case{"3B [^0]0", "3B 00", false}, Case{"3B A[fe]", "3B AF", true}, Case{"3B .*", "3B", false},
                   Case{"3B.*", "3B", true}, Case{"3B .*", "3B ", true}, Case{"3B 0?1", "3B 1", true},
                   Case{"3B 0+1", "3B 0001", true}, Case{"3B 0+1", "3B 1", false}, Case{"3B []]", "3B ]", true},
                   Case{"3B (00)", "3B (00)", false}, Case{"3B 00|01", "3B 00", false}, Case{"3B **", "3B ", false},
                   Case{"*3B", "3B", false}, Case{"3B [0-", "3B 0", false}, Case{"3B [9-0]", "3B 5", false},
                   Case{"3B \\x00", "3B \\x00", false}, Case{"", "", false}}) {
        CAPTURE(c.pattern);
        CAPTURE(c.text);
        CHECK(card_pattern_matches(c.pattern, c.text) == c.match);
    }
    // A pattern that would make a backtracking engine take forever is linear here.
    std::string evil(200, '.');
    for (size_t i = 1; i < evil.size(); i += 2) evil[i] = '*';
    CHECK_FALSE(card_pattern_matches(evil + "X", std::string(90, 'A')));
}

TEST_CASE("printable_utf8 keeps UTF-8 text and replaces the rest") {
    struct Case {
        std::string in, out;
    };
    for (const Case& c : {Case{"plain", "plain"}, Case{"caf\xc3\xa9", "caf\xc3\xa9"},
                          Case{"\xe2\x82\xac 5", "\xe2\x82\xac 5"}, Case{"\xf0\x9f\x92\xb3", "\xf0\x9f\x92\xb3"},
                          Case{"a\tb\nc\x1b", "a?b?c?"}, Case{"\x7f", "?"}, Case{"\xc2\x9b", "?"},  // C1 CSI
                          Case{"\xc3", "?"}, Case{"\xc0\xaf", "??"}, Case{"\xe0\x80\xaf", "???"},     // overlong
                          Case{"\xed\xa0\x80", "???"}, Case{"\xf4\x90\x80\x80", "????"},             // surrogate, >U+10FFFF
                          Case{std::string("a\0b", 3), "a?b"}}) {
        CAPTURE(c.in);
        CHECK(printable_utf8(c.in) == c.out);
    }
}

TEST_CASE("the installed smartcard_list.txt: every pattern understood, matches as std::regex does") {
    std::ifstream in{std::string(kSmartcardListPath)};
    if (!in) {
        MESSAGE("no ", kSmartcardListPath, " (pcsc-tools not installed): skipped");
        return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    CardList list = CardList::parse(ss.str());
    REQUIRE(list.entries().size() > 1000);
    CHECK(list.unsupported_patterns() == 0);
    CHECK(list.describe(hex("3B 95 13 81 01 80 73 FF 01 00 0B")).front() == "vsmartcard - iso7816 (Other)");
    std::vector<std::string> mifare =
        list.describe(hex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"));
    CHECK(std::find(mifare.begin(), mifare.end(), "NXP/Philips MIFARE Classic 1K (as per PCSC std part3)") !=
          mifare.end());

    // Subjects: a sample of the concrete ATRs of the list, plus every pattern
    // instantiated (each wildcard replaced by something it accepts).
    std::vector<std::string> subjects;
    const auto& entries = list.entries();
    for (size_t i = 0; i < entries.size(); i += 97)
        if (entries[i].pattern.find_first_of(".[*") == std::string::npos) subjects.push_back(entries[i].pattern);
    auto instantiate = [](const std::string& p) {
        std::string s;
        for (size_t i = 0; i < p.size(); ++i) {
            if (p[i] == '.' && i + 1 < p.size() && p[i + 1] == '*') {
                ++i;
            } else if (p[i] == '.') {
                s += 'F';
            } else if (p[i] == '[') {
                s += p[i + 1];
                i = p.find(']', i + 2);
            } else {
                s += p[i];
            }
        }
        return s;
    };
    size_t matches = 0, compared = 0;
    for (const CardListEntry& e : entries) {
        std::regex re("^(?:" + e.pattern + ")$", std::regex::icase);
        std::vector<std::string> mine = subjects;
        mine.push_back(instantiate(e.pattern));
        for (const std::string& s : mine) {
            bool theirs = std::regex_match(s, re);
            CHECK_MESSAGE(card_pattern_matches(e.pattern, s) == theirs, e.pattern << " vs " << s);
            matches += theirs;
            ++compared;
        }
        // The instantiation must match (else the comparison above proves little).
        CHECK_MESSAGE(card_pattern_matches(e.pattern, mine.back()), e.pattern);
    }
    MESSAGE(compared, " comparisons with std::regex, ", matches, " matches");
    CHECK(matches >= entries.size());
}

TEST_CASE("names_for: an ATR with a wrong TCK is still searched, then with its TCK corrected") {
    // ISO 7816-3 §8.2.5: TCK makes T0..TCK XOR to 00; 3B9513810180 73FF0100 needs 0B.
    const CardList list = CardList::parse(
        "3B 95 13 81 01 80 73 FF 01 00 0B\n"
        "\tvsmartcard - iso7816 (correct TCK)\n"
        "\n"
        "3B 95 13 81 01 80 73 FF 01 01 00\n"
        "\tcard that sends a wrong TCK, listed as sent\n");
    struct Case {
        const char* atr;
        const char* name;          // nullptr: no name
        const char* corrected;     // the corrected TCK, nullptr when matched as given
    } cases[] = {
        {"3B9513810180 73FF01000B", "vsmartcard - iso7816 (correct TCK)", nullptr},
        {"3B9513810180 73FF01000C", "vsmartcard - iso7816 (correct TCK)", "0B"},  // mangled TCK
        {"3B9513810180 73FF010100", "card that sends a wrong TCK, listed as sent", nullptr},
        {"3B9513810180 73FF010200", nullptr, nullptr},  // wrong TCK, nothing with the right one either
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.atr));
        const CardList::Names n = list.names_for(hex(c.atr));
        if (!c.name) {
            CHECK(n.descriptions.empty());
            CHECK_FALSE(n.corrected_tck);
            continue;
        }
        REQUIRE(n.descriptions.size() == 1);
        CHECK(n.descriptions.front() == c.name);
        if (c.corrected) {
            REQUIRE(n.corrected_tck);
            CHECK(hex2(*n.corrected_tck) == c.corrected);
        } else {
            CHECK_FALSE(n.corrected_tck);
        }
    }
}
