#include "monitor/ebpf/call_image.hpp"

#include <algorithm>
#include <cstring>

#include "monitor/ebpf/capture_plan.hpp"
#include "protocol/capture_limits.hpp"

namespace pcscspy::ebpf {

static_assert(sizeof(SCARD_READERSTATE) == PCSCSPY_PROBE_STATE_SIZE, "pcsc-lite's SCARD_READERSTATE layout changed");
static_assert(offsetof(SCARD_READERSTATE, szReader) == PCSCSPY_PROBE_STATE_NAME_OFFSET);
static_assert(sizeof(SCARD_IO_REQUEST) == PCSCSPY_PROBE_IO_REQUEST_SIZE, "pcsc-lite's SCARD_IO_REQUEST layout changed");
static_assert(sizeof(DWORD) == sizeof(uint64_t) && sizeof(SCARDHANDLE) == sizeof(uint64_t),
              "the probes read DWORDs and handles as 8 bytes (LP64)");
static_assert(PCSCSPY_PROBE_BUFFER_CAP == kMaxBufferRead && PCSCSPY_PROBE_STRING_CAP == kMaxStringRead + 1 &&
                  PCSCSPY_PROBE_STATES_CAP == kMaxReaderStates,
              "the probes read within the same bounds as the interposer");

namespace {

template <class T>
uint64_t address_of(T* p) {
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

// At least `size` bytes, what was captured first and zeros after it.
void ensure_size(std::vector<uint8_t>& bytes, size_t size) {
    if (bytes.size() < size) bytes.resize(size, 0);
}

}  // namespace

void CallImage::reset() {
    registers_.fill(0);
    values_.fill(0);
    captures_.fill(ArgCapture{});
    for (Slot& s : slots_) {
        s.word = 0;
        s.bytes.clear();
        s.states.clear();
        s.names.clear();
        s.name_pointers.clear();
    }
    unreadable_in_.clear();
    unreadable_out_.clear();
    incomplete_ = false;
}

void CallImage::note_unreadable(std::vector<std::string_view>& list, std::string_view name) {
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

bool CallImage::load_entry(const ProbeRecord& entry) {
    reset();
    if (entry.header.fn >= kFunctionCount) return false;
    fn_ = static_cast<PcscFunction>(entry.header.fn);
    std::span<const ArgSpec> args = function_args(fn_);
    for (size_t i = 0; i < args.size(); ++i) registers_[i] = entry.header.args[i];
    incomplete_ = entry.incomplete();
    uint32_t seen = 0;
    for (const ProbeItem& item : entry.items)
        if (item.arg < args.size()) {
            entry_item(args[item.arg], item.arg, item);
            seen |= 1u << item.arg;
        }
    if (entry.incomplete()) missing_items(seen, false, 0);
    prepare_in();
    return true;
}

void CallImage::entry_item(const ArgSpec& a, size_t i, const ProbeItem& item) {
    Slot& s = slots_[i];
    switch (item.kind) {
        case PROBE_ITEM_VALUE:
            s.word = item.value();
            break;
        case PROBE_ITEM_STRING:  // a string, or one string of a multi-string
            s.bytes.insert(s.bytes.end(), item.bytes.begin(), item.bytes.end());
            s.bytes.push_back(0);
            break;
        case PROBE_ITEM_BYTES:
            s.bytes.assign(item.bytes.begin(), item.bytes.end());
            break;
        case PROBE_ITEM_STATES: {
            size_t count = item.bytes.size() / sizeof(SCARD_READERSTATE);
            s.states.resize(count);
            std::memcpy(s.states.data(), item.bytes.data(), count * sizeof(SCARD_READERSTATE));
            s.names.assign(count, std::string());
            s.name_pointers.resize(count);
            for (size_t k = 0; k < count; ++k) s.name_pointers[k] = address_of(s.states[k].szReader);
            break;
        }
        case PROBE_ITEM_STATE_NAME:
            if (item.index < s.names.size()) s.names[item.index] = std::string(item.text());
            break;
        case PROBE_ITEM_UNREADABLE:
            note_unreadable(unreadable_in_, a.name);
            break;
        default:
            break;
    }
}

// A record that left items out: the arguments it should have read and did not
// are unreadable (never expected: a record has room for a whole buffer and more).
void CallImage::missing_items(uint32_t seen, bool after_call, int64_t rv) {
    const pcscspy_probe_plan plan = capture_plan(fn_);
    std::span<const ArgSpec> args = function_args(fn_);
    for (size_t i = 0; i < args.size(); ++i) {
        const uint8_t read = after_call ? plan.at_return[i] : plan.at_entry[i];
        const bool always = read == PROBE_READ_VALUE || read == PROBE_READ_STATES;
        if (read == PROBE_READ_NONE || registers_[i] == 0 || (seen >> i & 1) || (after_call && !always && rv != 0))
            continue;
        note_unreadable(after_call ? unreadable_out_ : unreadable_in_, args[i].name);
    }
}

// Sizes every copy to what the encoder's in() reads and points values at them.
void CallImage::prepare_in() {
    std::span<const ArgSpec> args = function_args(fn_);
    for (size_t i = 0; i < args.size(); ++i) {
        const ArgSpec& a = args[i];
        Slot& s = slots_[i];
        const uint64_t reg = registers_[i];
        values_[i] = reg;  // plain values, and NULL pointers stay NULL
        if (reg == 0) continue;
        switch (a.kind) {
            case ArgKind::ContextOut:
            case ArgKind::CardOut:
            case ArgKind::DwordOut:
            case ArgKind::BytesReturned:
            case ArgKind::LengthInOut:
            case ArgKind::StringOut:
            case ArgKind::MultiStringOut:
            case ArgKind::BufferOut:
            case ArgKind::BufferOutCap:
                values_[i] = address_of(&s.word);  // in() only tests these for NULL, or reads a length
                break;
            case ArgKind::String:
                if (s.bytes.empty()) s.bytes.push_back(0);
                values_[i] = address_of(s.bytes.data());
                break;
            case ArgKind::MultiStringIn:
                s.bytes.push_back(0);  // the empty string that ends it
                s.bytes.push_back(0);
                values_[i] = address_of(s.bytes.data());
                break;
            case ArgKind::BufferIn: {
                const uint64_t n = a.related >= 0 ? registers_[a.related] : 0;
                if (n <= kMaxBufferRead) ensure_size(s.bytes, n);
                if (s.bytes.empty()) s.bytes.push_back(0);  // a valid address even for 0 bytes
                values_[i] = address_of(s.bytes.data());
                break;
            }
            case ArgKind::IoRequest:
            case ArgKind::IoRequestOut:
                ensure_size(s.bytes, sizeof(SCARD_IO_REQUEST));
                values_[i] = address_of(s.bytes.data());
                break;
            case ArgKind::ReaderStates: {
                const uint64_t count = a.related >= 0 ? registers_[a.related] : 0;
                if (count <= kMaxReaderStates && s.states.size() < count) {
                    s.states.resize(count, SCARD_READERSTATE{});
                    s.names.resize(count);
                    s.name_pointers.resize(count, 0);
                }
                for (size_t k = 0; k < s.states.size(); ++k)
                    s.states[k].szReader = s.name_pointers[k] ? s.names[k].c_str() : nullptr;
                if (s.states.empty()) s.states.resize(1, SCARD_READERSTATE{});
                values_[i] = address_of(s.states.data());
                break;
            }
            default:
                break;
        }
    }
}

void CallImage::load_return(const ProbeRecord& ret) {
    std::span<const ArgSpec> args = function_args(fn_);
    incomplete_ = incomplete_ || ret.incomplete();
    uint32_t seen = 0;
    for (const ProbeItem& item : ret.items)
        if (item.arg < args.size()) {
            return_item(args[item.arg], item.arg, item);
            seen |= 1u << item.arg;
        }
    if (ret.incomplete()) missing_items(seen, true, ret.header.rv);
    prepare_out();
}

void CallImage::return_item(const ArgSpec& a, size_t i, const ProbeItem& item) {
    Slot& s = slots_[i];
    switch (item.kind) {
        case PROBE_ITEM_VALUE:
            s.word = item.value();
            break;
        case PROBE_ITEM_ALLOC_POINTER:
            s.word = item.value();
            captures_[i].autoalloc = true;
            break;
        case PROBE_ITEM_BYTES:
            s.bytes.assign(item.bytes.begin(), item.bytes.end());
            break;
        case PROBE_ITEM_STATES: {
            size_t count = std::min(item.bytes.size() / sizeof(SCARD_READERSTATE), s.states.size());
            for (size_t k = 0; k < count; ++k) {
                SCARD_READERSTATE after;
                std::memcpy(&after, item.bytes.data() + k * sizeof after, sizeof after);
                after.szReader = s.states[k].szReader;  // the names were read at entry
                s.states[k] = after;
            }
            break;
        }
        case PROBE_ITEM_UNREADABLE:
            note_unreadable(unreadable_out_, a.name);
            break;
        default:
            break;
    }
}

// Sizes the returned buffers to what the encoder's out() reads (see
// CallEncoder::out_buffer) and points values at them.
void CallImage::prepare_out() {
    std::span<const ArgSpec> args = function_args(fn_);
    for (size_t i = 0; i < args.size(); ++i) {
        const ArgSpec& a = args[i];
        Slot& s = slots_[i];
        if (registers_[i] == 0) continue;
        switch (a.kind) {
            case ArgKind::StringOut:
            case ArgKind::MultiStringOut:
            case ArgKind::BufferOut: {
                const bool alloc = captures_[i].autoalloc;
                uint64_t n = a.related >= 0 ? slots_[a.related].word : 0;
                uint64_t capacity = kMaxBufferRead;
                if (!alloc && a.related >= 0) capacity = std::min<uint64_t>(capacity, captures_[a.related].before);
                ensure_size(s.bytes, std::max<uint64_t>(1, std::min(n, capacity)));
                if (alloc) {
                    values_[i] = address_of(&s.word);  // the program's pointer, shown as <name>_alloc
                    captures_[i].alloc_copy = s.word ? s.bytes.data() : nullptr;
                } else {
                    values_[i] = address_of(s.bytes.data());
                }
                break;
            }
            case ArgKind::BufferOutCap: {
                uint64_t n = a.returned >= 0 ? slots_[a.returned].word : 0;
                uint64_t capacity = std::min<uint64_t>(a.related >= 0 ? registers_[a.related] : 0, kMaxBufferRead);
                ensure_size(s.bytes, std::max<uint64_t>(1, std::min(n, capacity)));
                values_[i] = address_of(s.bytes.data());
                break;
            }
            case ArgKind::IoRequestOut:
                ensure_size(s.bytes, sizeof(SCARD_IO_REQUEST));
                values_[i] = address_of(s.bytes.data());
                break;
            default:
                break;
        }
    }
}

}  // namespace pcscspy::ebpf
