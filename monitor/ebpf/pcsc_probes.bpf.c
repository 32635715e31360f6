// SPDX-License-Identifier: GPL-2.0
/* pcscspy-top's in-kernel half of the system-wide capture: one uprobe and one
 * uretprobe per PC/SC function of every libpcsclite the monitor found (the
 * attach cookie says which function), and the scheduler's exit and exec
 * tracepoints for the processes that called.
 *
 * At entry: the argument registers and the input data they point to (what the
 * capture plan says, derived from protocol/pcsc_api.def by the monitor) go out
 * as a CALL_ENTRY record; at return: rv and the output data as CALL_RETURN.
 * Records are built in a per-CPU scratch area and copied into the ring buffer
 * at their exact size. Whatever cannot be sent is counted per process (never
 * silently dropped); the monitor turns the counts into `lost` events.
 *
 * Pids are those of the monitor's PID namespace; processes it cannot see are
 * ignored. Kernel structures are read with CO-RE from minimal declarations
 * below (no kernel headers needed, checked against the running kernel's BTF
 * when loaded). GPL: the helpers used here require it. */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "probe_records.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- the kernel's structures, only the fields read (CO-RE relocated) */
typedef struct {
    int counter;
} atomic_t;
struct ns_common {
    unsigned int inum;
} __attribute__((preserve_access_index));
struct pid_namespace {
    struct ns_common ns;
} __attribute__((preserve_access_index));
struct upid {
    int nr;
    struct pid_namespace *ns;
} __attribute__((preserve_access_index));
struct pid {
    unsigned int level;
    struct upid numbers[1];
} __attribute__((preserve_access_index));
struct signal_struct {
    atomic_t live;
} __attribute__((preserve_access_index));
struct mm_struct {
    unsigned long arg_start;
    unsigned long arg_end;
} __attribute__((preserve_access_index));
struct task_struct {
    struct task_struct *real_parent;
    struct task_struct *group_leader;
    struct pid *thread_pid;
    struct signal_struct *signal;
    struct mm_struct *mm;
} __attribute__((preserve_access_index));

/* ---- set by the monitor before loading */
const volatile __u32 monitor_ns_inum = 0; /* inode of /proc/self/ns/pid */
/* Records wake the monitor only once this much waits in the ring buffer; it
 * otherwise reads them on its own clock (a wakeup per call would cost the
 * traced program a scheduling round trip on a busy machine). */
const volatile __u64 wake_bytes = 1 << 20;

/* ---- maps */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20); /* the loader may change it */
} events SEC(".maps");

/* The capture plan of each function, written by the monitor. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 32);
    __type(key, __u32);
    __type(value, struct pcscspy_probe_plan);
} plans SEC(".maps");

/* One record being built per CPU; `busy` guards against a preempted probe. */
struct scratch {
    __u32 busy;
    __u32 pad;
    struct pcscspy_probe_header h;
    __u8 data[PCSCSPY_PROBE_DATA_SIZE];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1); /* the loader sets one per possible CPU */
    __type(key, __u32);
    __type(value, struct scratch);
} scratch SEC(".maps");

/* Processes seen calling, by kernel tgid. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct pcscspy_probe_process);
} processes SEC(".maps");

/* Processes whose calls the monitor already gets from the interposer. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32); /* pid in the monitor's namespace */
    __type(value, __u8);
} muted SEC(".maps");

/* Calls in progress, by kernel thread id. */
struct call {
    __u32 fn;
    __u32 library;
    __u32 pid, tid;
    __u64 seq;
    __u64 start_ns;
    /* One spare slot so that an index masked with 7 stays inside. */
    __u64 args[PCSCSPY_PROBE_MAX_ARGS + 1];
    __u64 before[PCSCSPY_PROBE_MAX_ARGS + 1]; /* PROBE_READ_VALUE at entry */
};
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, struct call);
} calls SEC(".maps");

/* Calls of processes that could not be registered (the table was full). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} unregistered SEC(".maps");

/* ---- pids as the monitor sees them
 * A struct pid holds the number of a task in each namespace from the initial
 * one down to the task's own (numbers[0..level]); the monitor's is the entry
 * whose namespace has the monitor's inode. Its depth is found once, by search,
 * and kept. */
__u32 monitor_level_plus_one = 0;

#define MAX_PID_NS_LEVEL 32

static __noinline __u32 pid_nr_in_monitor_ns(struct pid *p)
{
    if (!p)
        return 0;
    __u32 depth = BPF_CORE_READ(p, level);
    __u32 known = monitor_level_plus_one;
    for (__u32 level = 0; level <= MAX_PID_NS_LEVEL && level <= depth; ++level) {
        if (known && level != known - 1)
            continue;
        struct upid u = {};
        if (bpf_core_read(&u, sizeof(u), &p->numbers[level]) || !u.ns)
            return 0;
        if (BPF_CORE_READ(u.ns, ns.inum) == monitor_ns_inum) {
            monitor_level_plus_one = level + 1;
            return (__u32)u.nr;
        }
        if (known)
            return 0;
    }
    return 0;
}

static __always_inline __u32 task_pid_nr(struct task_struct *t)
{
    return pid_nr_in_monitor_ns(BPF_CORE_READ(t, thread_pid));
}

static __always_inline __u32 task_tgid_nr(struct task_struct *t)
{
    return pid_nr_in_monitor_ns(BPF_CORE_READ(t, group_leader, thread_pid));
}

/* ---- building records */
static __always_inline struct scratch *scratch_claim(void)
{
    __u32 cpu = bpf_get_smp_processor_id();
    struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
    if (!s || __sync_val_compare_and_swap(&s->busy, 0, 1) != 0)
        return 0;
    return s;
}

/* Only this CPU uses its slot (probes run with migration disabled): a plain
 * store is enough to hand it back. */
static __always_inline void scratch_release(struct scratch *s)
{
    *(volatile __u32 *)&s->busy = 0;
}

static __always_inline void record_start(struct scratch *s, __u32 type, __u32 fn, __u32 library, __u32 pid, __u32 tid,
                                         __u64 seq)
{
    s->h.type = type;
    s->h.fn = fn;
    s->h.library = library;
    s->h.flags = 0;
    s->h.pid = pid;
    s->h.tid = tid;
    s->h.seq = seq;
    s->h.time_ns = 0;
    s->h.rv = 0;
    s->h.lost = 0;
    for (int i = 0; i < PCSCSPY_PROBE_MAX_ARGS; ++i)
        s->h.args[i] = 0;
    s->h.data_len = 0;
}

/* Sends the record (`now`: wake the monitor at once); false when the ring
 * buffer had no room. */
static __always_inline int scratch_send(struct scratch *s, int now)
{
    __u64 n = s->h.data_len;
    if (n > PCSCSPY_PROBE_DATA_SIZE)
        return 0;
    __u64 wake = now || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
                                                                                     : BPF_RB_NO_WAKEUP;
    return bpf_ringbuf_output(&events, &s->h, sizeof(s->h) + n, wake) == 0;
}

/* Room for one more item: its offset, or -1 (the record is marked incomplete). */
static __always_inline int item_start(struct scratch *s)
{
    __u32 off = s->h.data_len;
    if (off > PCSCSPY_PROBE_ITEMS_START_MAX) {
        s->h.flags |= PROBE_FLAG_INCOMPLETE;
        return -1;
    }
    return (int)off;
}

static __always_inline void item_header(struct scratch *s, __u32 off, __u8 arg, __u8 kind, __u16 index, __u32 len)
{
    if (off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return;
    struct pcscspy_probe_item *it = (void *)&s->data[off];
    it->arg = arg;
    it->kind = kind;
    it->index = index;
    it->len = len;
    s->h.data_len = off + sizeof(*it) + len;
}

/* n bytes of the traced program's memory (n <= the buffer cap). */
static __noinline int put_user_bytes(struct scratch *s, __u32 arg, __u32 kind, __u32 index, const void *src, __u64 n)
{
    int off = item_start(s);
    if (off < 0 || off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return -1;
    if (n > PCSCSPY_PROBE_BUFFER_CAP)
        n = PCSCSPY_PROBE_BUFFER_CAP;
    if (bpf_probe_read_user(&s->data[off + sizeof(struct pcscspy_probe_item)], n, src)) {
        item_header(s, off, arg, PROBE_ITEM_UNREADABLE, index, 0);
        return -1;
    }
    item_header(s, off, arg, kind, index, n);
    return off;
}

static __noinline int put_user_string(struct scratch *s, __u32 arg, __u32 kind, __u32 index, const char *src)
{
    int off = item_start(s);
    if (off < 0 || off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return -1;
    long r = bpf_probe_read_user_str(&s->data[off + sizeof(struct pcscspy_probe_item)], PCSCSPY_PROBE_STRING_CAP,
                                     src);
    if (r <= 0) {
        item_header(s, off, arg, PROBE_ITEM_UNREADABLE, index, 0);
        return -1;
    }
    item_header(s, off, arg, kind, index, (__u32)(r - 1));
    return (int)(r - 1);
}

static __always_inline void put_value(struct scratch *s, __u32 arg, __u32 kind, __u64 value)
{
    int off = item_start(s);
    if (off < 0 || off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return;
    *(__u64 *)&s->data[off + sizeof(struct pcscspy_probe_item)] = value;
    item_header(s, off, arg, kind, 0, sizeof(__u64));
}

static __always_inline int read_u64(__u64 address, __u64 *value)
{
    return bpf_probe_read_user(value, sizeof(*value), (const void *)address);
}

/* Reads the value a pointer argument points to; false if NULL or unreadable. */
static __always_inline int put_pointed_value(struct scratch *s, __u32 arg, __u64 address, __u64 *value)
{
    if (!address)
        return 0;
    if (read_u64(address, value)) {
        int off = item_start(s);
        if (off >= 0)
            item_header(s, off, arg, PROBE_ITEM_UNREADABLE, 0, 0);
        return 0;
    }
    put_value(s, arg, PROBE_ITEM_VALUE, *value);
    return 1;
}

/* mszGroups: strings until an empty one (pcsc-lite reads no further). */
static __noinline void put_multi_string(struct scratch *s, __u32 arg, const char *p)
{
    for (__u32 k = 0; k < PCSCSPY_PROBE_MULTI_STRINGS; ++k) {
        int n = put_user_string(s, arg, PROBE_ITEM_STRING, k, p);
        if (n <= 0)
            return;
        p += n + 1;
    }
}

/* The reader states, and at entry the name each points to. */
static __noinline void put_states(struct scratch *s, __u32 arg, __u64 address, __u64 count, int names)
{
    if (!address || count > PCSCSPY_PROBE_STATES_CAP)
        return;
    int off = put_user_bytes(s, arg, PROBE_ITEM_STATES, 0, (const void *)address, count * PCSCSPY_PROBE_STATE_SIZE);
    if (off < 0 || !names)
        return;
    for (__u32 i = 0; i < PCSCSPY_PROBE_STATES_CAP && i < count; ++i) {
        __u32 at = (__u32)off + sizeof(struct pcscspy_probe_item) + i * PCSCSPY_PROBE_STATE_SIZE +
                   PCSCSPY_PROBE_STATE_NAME_OFFSET;
        if (at > PCSCSPY_PROBE_ITEMS_START_MAX + PCSCSPY_PROBE_STATES_CAP * PCSCSPY_PROBE_STATE_SIZE)
            return;
        __u64 name = *(__u64 *)&s->data[at];
        if (name)
            put_user_string(s, arg, PROBE_ITEM_STATE_NAME, i, (const char *)name);
    }
}

/* ---- processes */
static __always_inline void send_process_first(struct scratch *s, struct task_struct *task, __u32 library, __u32 pid,
                                               __u32 tid)
{
    record_start(s, PROBE_PROCESS_FIRST, 0, library, pid, tid, 0);
    s->h.time_ns = bpf_ktime_get_ns();

    int off = item_start(s);
    if (off < 0 || off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return;
    __u32 *ids = (__u32 *)&s->data[off + sizeof(struct pcscspy_probe_item)];
    ids[0] = (__u32)bpf_get_current_uid_gid();
    ids[1] = task_tgid_nr(BPF_CORE_READ(task, real_parent));
    item_header(s, off, 0, PROBE_ITEM_IDS, 0, 2 * sizeof(__u32));

    off = item_start(s);
    if (off < 0 || off > PCSCSPY_PROBE_ITEMS_START_MAX)
        return;
    bpf_get_current_comm(&s->data[off + sizeof(struct pcscspy_probe_item)], PCSCSPY_PROBE_COMM_LEN);
    item_header(s, off, 0, PROBE_ITEM_COMM, 0, PCSCSPY_PROBE_COMM_LEN);

    __u64 start = BPF_CORE_READ(task, mm, arg_start), end = BPF_CORE_READ(task, mm, arg_end);
    if (end > start) {
        __u64 n = end - start;
        if (n > PCSCSPY_PROBE_ARGV_CAP)
            n = PCSCSPY_PROBE_ARGV_CAP;
        put_user_bytes(s, 0, PROBE_ITEM_ARGV, 0, (const void *)start, n);
    }
    /* At once: the monitor names the process from /proc while it still runs. */
    scratch_send(s, 1);
}

/* The calling process's entry, registered on its first call. */
static __always_inline struct pcscspy_probe_process *process_of(__u32 tgid, __u32 library, struct scratch *s)
{
    struct pcscspy_probe_process *p = bpf_map_lookup_elem(&processes, &tgid);
    if (p)
        return p;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct pcscspy_probe_process fresh = {.pid = task_tgid_nr(task)};
    if (bpf_map_update_elem(&processes, &tgid, &fresh, BPF_NOEXIST)) {
        __u32 zero = 0;
        __u64 *n = bpf_map_lookup_elem(&unregistered, &zero);
        if (n)
            __sync_fetch_and_add(n, 1);
        return 0;
    }
    if (fresh.pid && s)
        send_process_first(s, task, library, fresh.pid, task_pid_nr(task));
    return bpf_map_lookup_elem(&processes, &tgid);
}

/* ---- the probes */

/* The System V AMD64 calling convention: six arguments in registers, the
 * seventh on the stack just above the return address. */
#if defined(__TARGET_ARCH_x86)
static __always_inline void read_arguments(struct pt_regs *ctx, __u32 count, __u64 *args)
{
    args[0] = ctx->rdi;
    args[1] = ctx->rsi;
    args[2] = ctx->rdx;
    args[3] = ctx->rcx;
    args[4] = ctx->r8;
    args[5] = ctx->r9;
    if (count > 6)
        read_u64(ctx->rsp + 8, &args[6]);
}
#else
#error "pcsc_probes.bpf.c: only x86-64 argument passing is described"
#endif

SEC("uprobe")
int pcsc_entry(struct pt_regs *ctx)
{
    __u64 cookie = bpf_get_attach_cookie(ctx);
    __u32 fn = (__u32)cookie, library = cookie >> 32;
    struct pcscspy_probe_plan *plan = bpf_map_lookup_elem(&plans, &fn);
    if (!plan)
        return 0;
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tgid = id >> 32, ktid = (__u32)id;

    struct scratch *s = scratch_claim();
    struct pcscspy_probe_process *p = process_of(tgid, library, s);
    if (!p || !p->pid) {
        if (s)
            scratch_release(s);
        return 0;
    }
    if (bpf_map_lookup_elem(&muted, &p->pid)) {
        if (s)
            scratch_release(s);
        return 0;
    }
    __u64 seq = __sync_fetch_and_add(&p->seq, 1) + 1;
    if (!s) {
        __sync_fetch_and_add(&p->lost, 1);
        return 0;
    }

    struct call c = {.fn = fn, .library = library, .pid = p->pid, .seq = seq};
    c.tid = task_pid_nr((struct task_struct *)bpf_get_current_task());
    read_arguments(ctx, plan->args, c.args);

    record_start(s, PROBE_CALL_ENTRY, fn, library, c.pid, c.tid, seq);
    for (int i = 0; i < PCSCSPY_PROBE_MAX_ARGS; ++i)
        s->h.args[i] = c.args[i];

    for (__u32 i = 0; i < PCSCSPY_PROBE_MAX_ARGS && i < plan->args; ++i) {
        __u64 v = c.args[i];
        __s8 rel = plan->related[i];
        __u64 related = rel >= 0 && rel < PCSCSPY_PROBE_MAX_ARGS ? c.args[rel & 7] : 0;
        switch (plan->at_entry[i]) {
        case PROBE_READ_VALUE:
            put_pointed_value(s, i, v, &c.before[i]);
            break;
        case PROBE_READ_STRING:
            if (v)
                put_user_string(s, i, PROBE_ITEM_STRING, 0, (const char *)v);
            break;
        case PROBE_READ_MULTI_STRING:
            if (v)
                put_multi_string(s, i, (const char *)v);
            break;
        case PROBE_READ_BUFFER:
            /* Longer than any PC/SC buffer: shown as clamped, not read. */
            if (v && related <= PCSCSPY_PROBE_BUFFER_CAP)
                put_user_bytes(s, i, PROBE_ITEM_BYTES, 0, (const void *)v, related);
            break;
        case PROBE_READ_IO_REQUEST:
            if (v)
                put_user_bytes(s, i, PROBE_ITEM_BYTES, 0, (const void *)v, PCSCSPY_PROBE_IO_REQUEST_SIZE);
            break;
        case PROBE_READ_STATES:
            put_states(s, i, v, related, 1);
            break;
        default:
            break;
        }
    }
    c.start_ns = bpf_ktime_get_ns();
    s->h.time_ns = c.start_ns;
    int sent = scratch_send(s, 0);
    scratch_release(s);
    if (!sent) {
        __sync_fetch_and_add(&p->lost, 1);
        return 0;
    }
    /* Without its entry the return cannot be reported: counted. */
    if (bpf_map_update_elem(&calls, &ktid, &c, BPF_ANY))
        __sync_fetch_and_add(&p->lost, 1);
    return 0;
}

SEC("uretprobe")
int pcsc_return(struct pt_regs *ctx)
{
    __u64 end_ns = bpf_ktime_get_ns();
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tgid = id >> 32, ktid = (__u32)id;
    struct call *c = bpf_map_lookup_elem(&calls, &ktid);
    if (!c)
        return 0;
    __u32 fn = c->fn;
    struct pcscspy_probe_plan *plan = bpf_map_lookup_elem(&plans, &fn);
    struct pcscspy_probe_process *p = bpf_map_lookup_elem(&processes, &tgid);
    struct scratch *s = scratch_claim();
    if (!plan || !p || !s) {
        if (p)
            __sync_fetch_and_add(&p->lost, 1);
        if (s)
            scratch_release(s);
        bpf_map_delete_elem(&calls, &ktid);
        return 0;
    }
    __s64 rv = (__s64)PT_REGS_RC(ctx);
    record_start(s, PROBE_CALL_RETURN, fn, c->library, c->pid, c->tid, c->seq);
    s->h.time_ns = end_ns;
    s->h.rv = rv;

    for (__u32 i = 0; i < PCSCSPY_PROBE_MAX_ARGS && i < plan->args; ++i) {
        __u64 v = c->args[i], value = 0;
        __s8 rel = plan->related[i], ret = plan->returned[i];
        __u64 related = rel >= 0 && rel < PCSCSPY_PROBE_MAX_ARGS ? c->args[rel & 7] : 0;
        __u64 before = rel >= 0 && rel < PCSCSPY_PROBE_MAX_ARGS ? c->before[rel & 7] : 0;
        switch (plan->at_return[i]) {
        case PROBE_READ_VALUE:
            put_pointed_value(s, i, v, &value);
            break;
        case PROBE_READ_IO_REQUEST:
            if (v && rv == PCSCSPY_PROBE_SUCCESS)
                put_user_bytes(s, i, PROBE_ITEM_BYTES, 0, (const void *)v, PCSCSPY_PROBE_IO_REQUEST_SIZE);
            break;
        case PROBE_READ_STATES:
            put_states(s, i, v, related, 0);
            break;
        case PROBE_READ_OUT_BUFFER: {
            __u64 n = 0, capacity = PCSCSPY_PROBE_BUFFER_CAP, src = v;
            if (!v || !related || rv != PCSCSPY_PROBE_SUCCESS || read_u64(related, &n))
                break;
            if (before == PCSCSPY_PROBE_AUTOALLOCATE) {
                if (read_u64(v, &src))
                    break;
                put_value(s, i, PROBE_ITEM_ALLOC_POINTER, src);
            } else if (before < capacity) {
                capacity = before;
            }
            if (src)
                put_user_bytes(s, i, PROBE_ITEM_BYTES, 0, (const void *)src, n < capacity ? n : capacity);
            break;
        }
        case PROBE_READ_CAP_BUFFER: {
            __u64 n = 0, capacity = related < PCSCSPY_PROBE_BUFFER_CAP ? related : PCSCSPY_PROBE_BUFFER_CAP;
            __u64 returned = ret >= 0 && ret < PCSCSPY_PROBE_MAX_ARGS ? c->args[ret & 7] : 0;
            if (!v || !returned || rv != PCSCSPY_PROBE_SUCCESS || read_u64(returned, &n))
                break;
            put_user_bytes(s, i, PROBE_ITEM_BYTES, 0, (const void *)v, n < capacity ? n : capacity);
            break;
        }
        default:
            break;
        }
    }
    int sent = scratch_send(s, 0);
    scratch_release(s);
    bpf_map_delete_elem(&calls, &ktid);
    if (!sent)
        __sync_fetch_and_add(&p->lost, 1);
    return 0;
}

/* ---- process life */
static __always_inline void process_ended(__u32 type)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tgid = id >> 32;
    struct pcscspy_probe_process *p = bpf_map_lookup_elem(&processes, &tgid);
    if (!p)
        return;
    if (p->pid) {
        struct scratch *s = scratch_claim();
        if (s) {
            record_start(s, type, 0, 0, p->pid, p->pid, p->seq);
            s->h.lost = p->lost;
            s->h.time_ns = bpf_ktime_get_ns();
            int sent = scratch_send(s, 0);
            scratch_release(s);
            /* Not sent: the monitor finds the process gone when it next looks. */
            if (!sent)
                return;
        } else {
            return;
        }
        bpf_map_delete_elem(&muted, &p->pid);
    }
    bpf_map_delete_elem(&processes, &tgid);
}

SEC("raw_tracepoint/sched_process_exit")
int process_exit(struct bpf_raw_tracepoint_args *ctx)
{
    __u32 ktid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_delete_elem(&calls, &ktid);
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    /* The process has ended when its last thread exits. */
    if (BPF_CORE_READ(task, signal, live.counter) != 0)
        return 0;
    process_ended(PROBE_PROCESS_EXIT);
    return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int process_exec(struct bpf_raw_tracepoint_args *ctx)
{
    process_ended(PROBE_PROCESS_EXEC);
    return 0;
}
