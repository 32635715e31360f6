// The order of the process pane's rows (ProcessOrder: a column, its direction,
// flat or as a tree), shared by the pane that draws them and the controller that
// moves a selection through them; and the reader pane's order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "monitor/model/session_model.hpp"
#include "monitor/views/dashboard/ui_state.hpp"

namespace pcscspy::dashboard {

struct ProcessRow {
    const ProcessInfo* process = nullptr;
    size_t depth = 0;         // tree: 0 for a root
    bool last_child = false;  // tree: the last of its parent's children (└ rather than ├)
};

// Flat: sorted by the column (ties in arrival order). Default column: running
// first in arrival order, then the ended ones, the most recently ended first.
// Tree: each process under its parent (the traced process whose pid is its ppid
// and that started before it), siblings in the column's order; processes whose
// parent was not traced are roots.
std::vector<ProcessRow> process_rows(const SessionModel& model, const ProcessOrder& order, int64_t now_us);

// The first row a pane of `max_rows` shows so that row `keep` of `rows` is on screen.
inline size_t first_visible_row(size_t keep, size_t rows, size_t max_rows) {
    if (max_rows == 0 || rows <= max_rows || keep < max_rows) return 0;
    return keep + 1 - max_rows < rows - max_rows ? keep + 1 - max_rows : rows - max_rows;
}

// Readers in the order they were first seen (model index order).
std::vector<size_t> reader_rows(const SessionModel& model);

}  // namespace pcscspy::dashboard
