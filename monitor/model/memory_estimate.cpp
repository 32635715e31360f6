#include "monitor/model/memory_estimate.hpp"

namespace pcscspy::memory {

#define PCSCSPY_FIELD(name, kind, presence, dflt) n += heap(f.name);
#define PCSCSPY_EVENT(Name, type, fields) \
    size_t fields_heap(const Name##Fields& f) {  \
        size_t n = 0;                            \
        fields                                   \
        return n;                                \
    }
#include "protocol/event_format.def"

}  // namespace pcscspy::memory
