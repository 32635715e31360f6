#include "monitor/views/dashboard/process_order.hpp"

#include <algorithm>
#include <unordered_map>

#include "monitor/model/process_name.hpp"

namespace pcscspy::dashboard {

namespace {

// Deeper levels are drawn at this depth (a pathological chain stays readable).
constexpr size_t kMaxTreeDepth = 8;

// a before b in the column's natural direction: names A-Z and pids up, counts
// and rates largest first.
bool natural_before(const SessionModel& model, ProcessSort sort, int64_t now_us, const ProcessInfo* a,
                    const ProcessInfo* b) {
    switch (sort) {
        case ProcessSort::Arrival: {
            bool ra = a->state == ProcessState::Running, rb = b->state == ProcessState::Running;
            if (ra != rb) return ra;
            if (ra) return a->index < b->index;
            if (a->exit_us != b->exit_us) return a->exit_us > b->exit_us;
            return a->index < b->index;
        }
        case ProcessSort::Name: {
            const std::string la = process_name(*a), lb = process_name(*b);
            if (la != lb) return la < lb;
            break;
        }
        case ProcessSort::Pid:
            if (a->pid != b->pid) return a->pid < b->pid;
            break;
        case ProcessSort::Calls:
            if (a->stats.calls != b->stats.calls) return a->stats.calls > b->stats.calls;
            break;
        case ProcessSort::Errors:
            if (a->stats.errors != b->stats.errors) return a->stats.errors > b->stats.errors;
            break;
        case ProcessSort::Rate: {
            const double ra = model.call_rate(a->index, now_us), rb = model.call_rate(b->index, now_us);
            if (ra != rb) return ra > rb;
            break;
        }
    }
    return a->index < b->index;
}

}  // namespace

std::vector<ProcessRow> process_rows(const SessionModel& model, const ProcessOrder& order, int64_t now_us) {
    std::vector<const ProcessInfo*> all;
    for (const ProcessInfo& p : model.processes()) all.push_back(&p);
    const auto before = [&](const ProcessInfo* a, const ProcessInfo* b) {
        return order.reversed ? natural_before(model, order.sort, now_us, b, a)
                              : natural_before(model, order.sort, now_us, a, b);
    };
    std::stable_sort(all.begin(), all.end(), before);

    std::vector<ProcessRow> rows;
    if (!order.tree) {
        for (const ProcessInfo* p : all) rows.push_back({p, 0, false});
        return rows;
    }
    // The parent of each process: the latest traced process with its ppid as pid
    // that started no later than it (pids are reused).
    std::unordered_map<int64_t, std::vector<const ProcessInfo*>> by_pid;
    for (const ProcessInfo& p : model.processes()) by_pid[p.pid].push_back(&p);
    std::unordered_map<size_t, std::vector<const ProcessInfo*>> children;
    std::vector<const ProcessInfo*> roots;
    for (const ProcessInfo* p : all) {
        const ProcessInfo* parent = nullptr;
        if (p->hello_seen && p->ppid > 0)
            if (auto it = by_pid.find(p->ppid); it != by_pid.end())
                for (const ProcessInfo* candidate : it->second)
                    if (candidate != p && candidate->start_us <= p->start_us &&
                        (!parent || candidate->index > parent->index))
                        parent = candidate;
        if (parent) children[parent->index].push_back(p);  // in `all`'s order: sorted
        else roots.push_back(p);
    }
    // Depth first, with an explicit stack (a stream may describe a chain of any
    // length); `placed` guards against a cycle of reused pids.
    // By position in processes() (indexes are serials, sparse once processes were folded).
    std::vector<bool> placed(model.processes().size());
    const auto position = [&](const ProcessInfo* p) { return static_cast<size_t>(p - model.processes().data()); };
    struct Pending {
        const ProcessInfo* process;
        size_t depth;
        bool last;
    };
    std::vector<Pending> stack;
    auto visit = [&](const ProcessInfo* root) {
        stack.push_back({root, 0, false});
        while (!stack.empty()) {
            Pending at = stack.back();
            stack.pop_back();
            if (placed[position(at.process)]) continue;
            placed[position(at.process)] = true;
            rows.push_back({at.process, std::min(at.depth, kMaxTreeDepth), at.last});
            auto it = children.find(at.process->index);
            if (it == children.end()) continue;
            const auto& kids = it->second;
            for (size_t i = kids.size(); i-- > 0;) stack.push_back({kids[i], at.depth + 1, i + 1 == kids.size()});
        }
    };
    for (const ProcessInfo* r : roots) visit(r);
    // Processes only reachable through a cycle: shown as roots.
    for (const ProcessInfo* p : all)
        if (!placed[position(p)]) visit(p);
    return rows;
}

std::vector<size_t> reader_rows(const SessionModel& model) {
    std::vector<size_t> order(model.readers().size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    return order;
}

}  // namespace pcscspy::dashboard
