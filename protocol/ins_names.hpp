// Instruction bytes: one table per command set (inter-industry ISO/IEC 7816-4,
// -7, -8, -9; GlobalPlatform card management; EMV; PIV; OpenPGP card; FIDO;
// Yubico applets), and the lookup that picks the table a command belongs to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/aid.hpp"
#include "protocol/xlat.hpp"

namespace pcscspy {

// One command set: the context it applies in (Unknown = inter-industry) and its
// INS bytes (Named: value = INS, name = command name, meaning = a note such as
// "odd INS: BER-TLV data" or "Yubico extension").
struct InsTable {
    AppletKind context;
    NameTable entries;
};

// Every table, the inter-industry one first.
std::span<const InsTable> ins_tables();
// The table of one context; empty when the context has no commands of its own.
NameTable ins_table(AppletKind context);

struct InsName {
    const Named* entry = nullptr;           // nullptr: no table knows this INS
    AppletKind table = AppletKind::Unknown; // the table that named it
    bool known() const { return entry != nullptr; }
};

// Names INS for a command sent with class byte `cla` and P1 `p1` while `applet`
// is selected. Tries, in order: the applet's table; the class convention
// (proprietary classes 80-9F/C0-FE are GlobalPlatform, then EMV); the
// inter-industry table. SELECT by DF name (A4 with P1=04) is always SELECT: the
// card's runtime handles it whatever the applet (the OATH applet reuses A4 for
// CALCULATE ALL with other P1 values).
InsName name_instruction(AppletKind applet, uint8_t cla, uint8_t ins, uint8_t p1);

// The name of the table that named the INS: "ISO 7816" for the inter-industry
// one, the applet kind's name (applet_kind_name) for a command set's; empty
// when no table knows the INS.
std::string_view ins_table_name(const InsName& name);

// The name to show: the entry's name, or "INS XX" when no table knows it.
std::string ins_display_name(const InsName& name, uint8_t ins);

}  // namespace pcscspy
