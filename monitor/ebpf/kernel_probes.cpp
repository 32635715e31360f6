#include "monitor/ebpf/kernel_probes.hpp"

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "monitor/ebpf/capture_plan.hpp"
#include "monitor/ebpf/probe_records.h"
#include "pcsc_probes.skel.h"

namespace pcscspy::ebpf {

namespace {

// libbpf's own messages: kept (the last warning explains a failed load) rather
// than printed over the dashboard.
std::string g_libbpf_last;

int keep_libbpf_message(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG) return 0;
    char line[512];
    int n = vsnprintf(line, sizeof line, format, args);
    if (n > 0) {
        g_libbpf_last.assign(line, strnlen(line, sizeof line));
        while (!g_libbpf_last.empty() && (g_libbpf_last.back() == '\n' || g_libbpf_last.back() == ' '))
            g_libbpf_last.pop_back();
    }
    return 0;
}

// This process's PID namespace, as the kernel names it: the inode of
// /proc/self/ns/pid (its depth is found by the probes themselves: /proc's NSpid
// counts from the namespace /proc was mounted for, not from the initial one).
std::optional<uint32_t> own_pid_namespace() {
    struct stat st {};
    if (stat("/proc/self/ns/pid", &st) != 0) return std::nullopt;
    return static_cast<uint32_t>(st.st_ino);
}

// Called once the capabilities are known to be there: a refusal now is the
// kernel's (no BPF or BTF, lockdown, a seccomp filter, a container's policy, the
// verifier), said with libbpf's last word on it.
ProbeError kernel_refused(const std::string& what, int err) {
    std::string msg = what + ": " + std::strerror(err);
    if (!g_libbpf_last.empty()) msg += " (" + g_libbpf_last + ")";
    return {ProbeFailure::NoKernelSupport, msg};
}

}  // namespace

// By the effective capabilities, not the uid: root in a container may lack them.
bool may_load_probes() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    auto has = [&](unsigned cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
    constexpr unsigned kCapPerfmon = 38, kCapBpf = 39;  // not in older headers
    return has(CAP_SYS_ADMIN) || (has(kCapBpf) && has(kCapPerfmon));
}

KernelProbes::Result KernelProbes::load(const Options& options, RecordHandler handler) {
    Result r;
    if (!may_load_probes()) {
        r.error = ProbeError{ProbeFailure::NotPermitted,
                             "not permitted: the system-wide capture needs root (or CAP_BPF and CAP_PERFMON)"};
        return r;
    }
    libbpf_set_print(keep_libbpf_message);
    auto ns = own_pid_namespace();
    if (!ns) {
        r.error = ProbeError{ProbeFailure::NoKernelSupport, "cannot read /proc/self/ns/pid"};
        return r;
    }
    std::unique_ptr<KernelProbes> p(new KernelProbes());
    p->handler_ = std::move(handler);
    p->skel_ = pcsc_probes__open();
    if (!p->skel_) {
        r.error = kernel_refused("cannot open the BPF program", errno);
        return r;
    }
    p->skel_->rodata->monitor_ns_inum = *ns;
    // A quarter full wakes the monitor early (as the interposer's shared ring does).
    p->skel_->rodata->wake_bytes = options.ring_bytes / 4;
    int cpus = libbpf_num_possible_cpus();
    bpf_map__set_max_entries(p->skel_->maps.scratch, cpus > 0 ? static_cast<uint32_t>(cpus) : 1);
    bpf_map__set_max_entries(p->skel_->maps.events, static_cast<uint32_t>(options.ring_bytes));
    if (int err = pcsc_probes__load(p->skel_)) {
        r.error = kernel_refused("the kernel refused the BPF program", -err);
        return r;
    }
    for (const FunctionInfo& f : kFunctions) {
        uint32_t key = static_cast<uint32_t>(f.id);
        pcscspy_probe_plan plan = capture_plan(f.id);
        if (bpf_map__update_elem(p->skel_->maps.plans, &key, sizeof key, &plan, sizeof plan, BPF_ANY) != 0) {
            r.error = kernel_refused("cannot write the capture plan", errno);
            return r;
        }
    }
    for (bpf_program* prog : {p->skel_->progs.process_exit, p->skel_->progs.process_exec}) {
        bpf_link* link = bpf_program__attach(prog);
        if (!link) {
            r.error = kernel_refused(std::string("cannot attach ") + bpf_program__name(prog), errno);
            return r;
        }
        p->links_.push_back(link);
    }
    p->ring_ = ring_buffer__new(bpf_map__fd(p->skel_->maps.events), on_record, p.get(), nullptr);
    if (!p->ring_) {
        r.error = kernel_refused("cannot map the ring buffer", errno);
        return r;
    }
    r.probes = std::move(p);
    return r;
}

KernelProbes::~KernelProbes() {
    if (ring_) ring_buffer__free(ring_);
    for (bpf_link* l : links_) bpf_link__destroy(l);
    if (skel_) pcsc_probes__destroy(skel_);
}

bool KernelProbes::attached(dev_t dev, ino_t ino) const {
    for (const ProbeLibrary& l : libraries_)
        if (l.dev == dev && l.ino == ino) return true;
    return false;
}

std::optional<std::string> KernelProbes::attach_library(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return path + ": " + std::strerror(errno);
    if (attached(st.st_dev, st.st_ino)) return std::nullopt;
    const auto index = static_cast<uint32_t>(libraries_.size());
    std::vector<bpf_link*> made;
    for (const FunctionInfo& f : kFunctions) {
        const std::string name(f.name);
        for (bool ret : {false, true}) {
            bpf_uprobe_opts opts{};
            opts.sz = sizeof opts;
            opts.retprobe = ret;
            opts.func_name = name.c_str();
            opts.bpf_cookie = PCSCSPY_PROBE_COOKIE(static_cast<uint32_t>(f.id), index);
            bpf_program* prog = ret ? skel_->progs.pcsc_return : skel_->progs.pcsc_entry;
            bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), 0, &opts);
            if (!link) {
                int err = errno;
                for (bpf_link* l : made) bpf_link__destroy(l);
                std::string msg = path + ": cannot probe " + name + ": " + std::strerror(err);
                return msg;
            }
            made.push_back(link);
        }
    }
    links_.insert(links_.end(), made.begin(), made.end());
    libraries_.push_back(ProbeLibrary{path, st.st_dev, st.st_ino, index});
    return std::nullopt;
}

int KernelProbes::fd() const { return ring_buffer__epoll_fd(ring_); }

int KernelProbes::on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<KernelProbes*>(ctx);
    ++self->handled_;
    bool more = self->handler_(data, size);
    // A negative return stops libbpf's loop after this record (it is consumed).
    return more && self->handled_ < self->budget_left_ ? 0 : -1;
}

size_t KernelProbes::drain(size_t budget) {
    if (budget == 0) return 0;
    handled_ = 0;
    budget_left_ = budget;
    ring_buffer__consume(ring_);
    return handled_;
}

void KernelProbes::mute(uint32_t pid) {
    uint8_t one = 1;
    bpf_map__update_elem(skel_->maps.muted, &pid, sizeof pid, &one, sizeof one, BPF_ANY);
}

std::vector<ProbeProcessCounts> KernelProbes::process_counts() const {
    std::vector<ProbeProcessCounts> out;
    int fd = bpf_map__fd(skel_->maps.processes);
    uint32_t key = 0, next = 0;
    const uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        pcscspy_probe_process v{};
        if (bpf_map_lookup_elem(fd, &next, &v) == 0 && v.pid != 0) out.push_back({v.pid, v.seq, v.lost});
        key = next;
        prev = &key;
    }
    return out;
}

void KernelProbes::forget(uint32_t pid) {
    int fd = bpf_map__fd(skel_->maps.processes);
    uint32_t key = 0, next = 0;
    const uint32_t* prev = nullptr;
    std::vector<uint32_t> gone;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        pcscspy_probe_process v{};
        if (bpf_map_lookup_elem(fd, &next, &v) == 0 && v.pid == pid) gone.push_back(next);
        key = next;
        prev = &key;
    }
    for (uint32_t k : gone) bpf_map_delete_elem(fd, &k);
    bpf_map__delete_elem(skel_->maps.muted, &pid, sizeof pid, 0);
}

uint64_t KernelProbes::unregistered_calls() const {
    uint32_t zero = 0;
    uint64_t n = 0;
    bpf_map__lookup_elem(skel_->maps.unregistered, &zero, sizeof zero, &n, sizeof n, 0);
    return n;
}

}  // namespace pcscspy::ebpf
