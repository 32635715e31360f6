// What the session model's parts cost in memory, as an estimate: the size of
// each object, plus the heap its strings and vectors hold (their capacity), plus
// a node per element of a map or set and its bucket array, plus what malloc
// adds to each block. Exact accounting would need a counting allocator in every
// container; the estimate is within a small factor of what the process really
// holds (tests/monitor/test_memory_budget.cpp compares it with the RSS), which is
// what a budget needs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/event.hpp"

namespace pcscspy::memory {

// glibc malloc: a 16-byte header per block, blocks rounded to 16.
inline constexpr size_t kMallocOverhead = 16;
inline constexpr size_t block(size_t bytes) { return bytes ? (bytes + kMallocOverhead + 15) / 16 * 16 : 0; }

// std::map / std::set node: three pointers and a colour, then the value.
template <class Value>
inline constexpr size_t kTreeNode = block(32 + sizeof(Value));
// std::unordered_map / _set node: the next pointer, the value, its cached hash.
template <class Value>
inline constexpr size_t kHashNode = block(8 + sizeof(Value) + 8);

// The heap a value owns beyond its own size.
template <class T>
size_t heap(const T& v);
template <class T>
size_t heap_of(const std::optional<T>& v);
template <class T>
size_t heap_of(const std::vector<T>& v);
inline size_t heap(const std::string& s) { return s.capacity() > 15 ? block(s.capacity() + 1) : 0; }
template <class T>
size_t heap(const T& v) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
        return 0;
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
        return v.is_primitive() ? 0 : block(v.dump().size() * 2);  // rough: nodes and strings
    } else {
        return heap_of(v);
    }
}
template <class T>
size_t heap_of(const std::optional<T>& v) { return v ? heap(*v) : 0; }
template <class T>
size_t heap_of(const std::vector<T>& v) {
    size_t n = block(v.capacity() * sizeof(T));
    if constexpr (!std::is_arithmetic_v<T>)
        for (const T& x : v) n += heap(x);
    return n;
}

// Nodes and buckets of an unordered container (the values' own heap apart).
template <class C>
size_t hash_table(const C& c) {
    return c.size() * kHashNode<typename C::value_type> + block(c.bucket_count() * sizeof(void*));
}

// The heap an event's own fields hold (HelloFields ... LostFields).
#define PCSCSPY_EVENT(Name, type, fields) size_t fields_heap(const Name##Fields& f);
#include "protocol/event_format.def"

}  // namespace pcscspy::memory
