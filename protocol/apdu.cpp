#include "protocol/apdu.hpp"
#include "protocol/hex.hpp"

#include <cstdio>

namespace pcscspy {

namespace {

CommandParse fail(ApduError error, size_t total, bool extended = false, size_t lc = 0, size_t after = 0) {
    CommandParse r;
    r.error = error;
    r.total = total;
    r.extended = extended;
    r.lc = lc;
    r.after = after;
    return r;
}

CommandParse succeed(const CommandApdu& apdu) {
    CommandParse r;
    r.apdu = apdu;
    return r;
}

uint32_t short_ne(uint8_t le) { return le == 0 ? 256u : le; }
uint32_t extended_ne(uint16_t le) { return le == 0 ? 65536u : le; }

}  // namespace

CommandParse parse_command_apdu(ByteView b) {
    const size_t n = b.size();
    if (n < 4) return fail(ApduError::TooShort, n);

    CommandApdu a;
    a.cla = b[0];
    a.ins = b[1];
    a.p1 = b[2];
    a.p2 = b[3];
    if (n == 4) return succeed(a);  // case 1

    const uint8_t b5 = b[4];
    if (n == 5) {  // case 2 short
        a.apdu_case = ApduCase::Case2;
        a.le_offset = 4;
        a.le_length = 1;
        a.ne = short_ne(b5);
        return succeed(a);
    }

    if (b5 != 0) {  // short Lc
        const size_t lc = b5;
        const size_t after = n - 5;
        if (after < lc)
            return fail(ApduError::LcDataMismatch, n, false, lc, after);
        if (after > lc + 1)
            return fail(ApduError::TrailingBytes, n, false, lc, after);
        a.lc_offset = 4;
        a.lc_length = 1;
        a.nc = lc;
        a.data_offset = 5;
        if (after == lc) {
            a.apdu_case = ApduCase::Case3;
        } else {
            a.apdu_case = ApduCase::Case4;
            a.le_offset = n - 1;
            a.le_length = 1;
            a.ne = short_ne(b[n - 1]);
        }
        return succeed(a);
    }

    // Byte 5 is 00 and more bytes follow: an extended length field.
    a.extended = true;
    if (n == 6)
        return fail(ApduError::ExtendedTruncated, n, true, 0, 1);
    const uint16_t l = static_cast<uint16_t>(b[5] << 8 | b[6]);
    if (n == 7) {  // case 2 extended
        a.apdu_case = ApduCase::Case2;
        a.le_offset = 4;
        a.le_length = 3;
        a.ne = extended_ne(l);
        return succeed(a);
    }
    if (l == 0)
        return fail(ApduError::ExtendedLcZero, n, true, 0, n - 7);
    const size_t lc = l;
    const size_t after = n - 7;
    if (after < lc)
        return fail(ApduError::LcDataMismatch, n, true, lc, after);
    if (after == lc + 1)
        return fail(ApduError::ExtendedTruncated, n, true, lc, after);
    if (after > lc + 2)
        return fail(ApduError::TrailingBytes, n, true, lc, after);
    a.lc_offset = 4;
    a.lc_length = 3;
    a.nc = lc;
    a.data_offset = 7;
    if (after == lc) {
        a.apdu_case = ApduCase::Case3;
    } else {
        a.apdu_case = ApduCase::Case4;
        a.le_offset = n - 2;
        a.le_length = 2;
        a.ne = extended_ne(static_cast<uint16_t>(b[n - 2] << 8 | b[n - 1]));
    }
    return succeed(a);
}

std::string CommandParse::message() const {
    if (!error) return {};
    const char* lc_name = extended ? "extended Lc" : "Lc";
    const int digits = extended ? 4 : 2;
    switch (*error) {
        case ApduError::TooShort:
            return printf_string("%zu byte(s): a command APDU needs at least 4 (CLA INS P1 P2)", total);
        case ApduError::LcDataMismatch:
            return printf_string("%s=%zu (0x%0*zX) but only %zu data byte(s) follow", lc_name, lc, digits, lc, after);
        case ApduError::TrailingBytes:
            return printf_string("%s=%zu (0x%0*zX): %zu byte(s) after the data and Le", lc_name, lc, digits, lc,
                          after - lc - (extended ? 2 : 1));
        case ApduError::ExtendedTruncated:
            if (lc == 0)
                return "byte 5 = 00 opens an extended length field but only 1 byte follows (a short Lc cannot be 00)";
            return printf_string("extended Lc=%zu (0x%04zX) then 1 byte: an extended Le needs 2", lc, lc);
        case ApduError::ExtendedLcZero:
            return printf_string("extended Lc=0000 followed by %zu byte(s): Nc must be 1 to 65535", after);
    }
    return "malformed command APDU";
}

ClaInfo decode_cla(uint8_t cla) {
    ClaInfo c;
    if (cla == 0xFF) {
        c.kind = ClaKind::Invalid;
        c.layout_known = false;
        return c;
    }
    uint8_t low = cla;
    if (cla & 0x80) {
        c.kind = ClaKind::Proprietary;
        low = cla & 0x7F;
        // A0-BF would read as the reserved 001x xxxx form: no known layout.
        if ((low & 0x60) == 0x20) {
            c.layout_known = false;
            return c;
        }
        c.iso_convention = true;
    } else if ((cla & 0xE0) == 0x20) {
        c.kind = ClaKind::Reserved;
        c.layout_known = false;
        return c;
    }
    if ((low & 0x40) == 0) {  // first form: 0x0x0xxxx
        if (c.kind != ClaKind::Proprietary) c.kind = ClaKind::FirstInterindustry;
        c.chaining = low & 0x10;
        static constexpr SecureMessaging kSm[] = {SecureMessaging::None, SecureMessaging::Proprietary,
                                                  SecureMessaging::HeaderNotAuthenticated,
                                                  SecureMessaging::HeaderAuthenticated};
        c.sm = kSm[(low >> 2) & 3];
        c.channel = low & 0x03;
    } else {  // further form: 01xx xxxx
        if (c.kind != ClaKind::Proprietary) c.kind = ClaKind::FurtherInterindustry;
        c.chaining = low & 0x10;
        c.sm = (low & 0x20) ? SecureMessaging::HeaderNotAuthenticated : SecureMessaging::None;
        c.channel = static_cast<uint8_t>(4 + (low & 0x0F));
    }
    return c;
}

std::string describe_cla(uint8_t cla) {
    const ClaInfo c = decode_cla(cla);
    std::string s(find_value(kClaKinds, static_cast<uint64_t>(c.kind))->name);
    if (c.kind == ClaKind::Invalid) return s + " (FF is not a class byte)";
    if (!c.layout_known) return s + ", no known bit layout";
    if (c.iso_convention) s += " (GP/EMV convention)";
    s += ", channel " + std::to_string(c.channel);
    s += ", ";
    s += find_value(kSecureMessagingKinds, static_cast<uint64_t>(c.sm))->name;
    if (c.chaining) s += ", chained (more commands follow)";
    return s;
}

ResponseApdu parse_response_apdu(ByteView bytes) {
    ResponseApdu r;
    if (bytes.size() < 2) {
        r.data = bytes;
        return r;
    }
    r.data = bytes.first(bytes.size() - 2);
    r.sw = static_cast<uint16_t>(bytes[bytes.size() - 2] << 8 | bytes[bytes.size() - 1]);
    return r;
}

}  // namespace pcscspy
