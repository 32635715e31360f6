#include "interposer/redaction.hpp"

#include <cstring>

#include "protocol/secrets.hpp"

namespace pcscspy::interposer {

bool redact_apdu(const uint8_t* apdu, size_t n, uint8_t* out) {
    const SecretRange r = secret_range(ByteView(apdu, n));
    if (r.empty() || r.offset >= n) return false;
    const size_t length = r.length < n - r.offset ? r.length : n - r.offset;
    memcpy(out, apdu, n);
    memset(out + r.offset, kMaskByte, length);
    return true;
}

}  // namespace pcscspy::interposer
