// libFuzzer target: the event reader never crashes, and whatever it accepts it
// can write back and read again to the same JSON.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    pcscspy::DecodedEvent r = pcscspy::decode_event(line);
    if (r.ok()) {
        std::string again = pcscspy::encode_event(*r.event);
        pcscspy::DecodedEvent r2 = pcscspy::decode_event(again);
        if (!r2.ok() || pcscspy::to_json(*r2.event) != pcscspy::to_json(*r.event)) std::abort();
    }
    return 0;
}
