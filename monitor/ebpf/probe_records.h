/* What the in-kernel probes (pcsc_probes.bpf.c) and the monitor share: the
 * capture plan the monitor derives from protocol/pcsc_api.def, and the records
 * the probes send through the ring buffer. C, for both sides.
 *
 * A call gives two records: CALL_ENTRY (the argument registers and the input
 * data they point to) and CALL_RETURN (rv and the output data). Each carries a
 * list of items: a small header naming the argument, then the bytes read from
 * the traced program's memory. */
#ifndef PCSCSPY_PROBE_RECORDS_H
#define PCSCSPY_PROBE_RECORDS_H

#include <linux/types.h>

/* Bounds, the same as the interposer's (protocol's capture limits): a buffer
 * (APDU, response, attribute, control data) is read up to pcsc-lite's
 * MAX_BUFFER_SIZE_EXTENDED, a C string up to 4096 bytes (one more is read to
 * tell a longer one), at most 17 reader states. */
#define PCSCSPY_PROBE_MAX_ARGS 7
#define PCSCSPY_PROBE_BUFFER_CAP 65548
#define PCSCSPY_PROBE_STRING_CAP 4097
#define PCSCSPY_PROBE_MULTI_STRINGS 16
#define PCSCSPY_PROBE_STATES_CAP 17
/* pcsc-lite's structures on LP64 (DWORD is unsigned long): checked against
 * <PCSC/pcsclite.h> by the monitor at compile time. */
#define PCSCSPY_PROBE_STATE_SIZE 80
#define PCSCSPY_PROBE_STATE_NAME_OFFSET 0
#define PCSCSPY_PROBE_IO_REQUEST_SIZE 16
#define PCSCSPY_PROBE_AUTOALLOCATE 0xffffffffffffffffULL /* (DWORD)-1 */
#define PCSCSPY_PROBE_SUCCESS 0
/* A process's command line, read once when it is first seen. */
#define PCSCSPY_PROBE_ARGV_CAP 1024
#define PCSCSPY_PROBE_COMM_LEN 16
/* Items start at most this far into a record's data (a bound the verifier can
 * check): room for a whole buffer and everything else a call has (17 reader
 * names of 4 KiB excepted); what would start later is left out and the record
 * says so. */
#define PCSCSPY_PROBE_ITEMS_START_MAX (80 * 1024)
#define PCSCSPY_PROBE_DATA_SIZE (PCSCSPY_PROBE_ITEMS_START_MAX + 8 + PCSCSPY_PROBE_BUFFER_CAP)

/* What to read for one argument, at entry and at return. */
enum pcscspy_probe_read {
    PROBE_READ_NONE = 0,
    PROBE_READ_VALUE,        /* the 8-byte value the pointer argument points to */
    PROBE_READ_STRING,       /* a C string */
    PROBE_READ_MULTI_STRING, /* strings up to an empty one (mszGroups) */
    PROBE_READ_BUFFER,       /* bytes, length = the `related` argument's value */
    PROBE_READ_IO_REQUEST,   /* SCARD_IO_REQUEST */
    PROBE_READ_STATES,       /* SCARD_READERSTATE[related]; at entry also each szReader */
    PROBE_READ_OUT_BUFFER,   /* bytes, length *related, capacity *related at entry,
                              * or SCARD_AUTOALLOCATE: the pointer written, then its bytes */
    PROBE_READ_CAP_BUFFER,   /* bytes, length *returned, capacity = the related value */
};

struct pcscspy_probe_plan {
    __u8 args;
    __u8 at_entry[PCSCSPY_PROBE_MAX_ARGS];
    __u8 at_return[PCSCSPY_PROBE_MAX_ARGS];
    __s8 related[PCSCSPY_PROBE_MAX_ARGS];
    __s8 returned[PCSCSPY_PROBE_MAX_ARGS];
};

enum pcscspy_probe_record_type {
    PROBE_CALL_ENTRY = 1,
    PROBE_CALL_RETURN = 2,
    PROBE_PROCESS_FIRST = 3, /* first call of a process: comm, uid, ppid, argv */
    PROBE_PROCESS_EXIT = 4,  /* the last thread of a process that called exited */
    PROBE_PROCESS_EXEC = 5,  /* a process that called ran exec: its image ended */
};

#define PROBE_FLAG_INCOMPLETE 1 /* some items did not fit and were left out */

/* The attach cookie of each probe: the function and the library file. */
#define PCSCSPY_PROBE_COOKIE(fn, library) ((__u64)(library) << 32 | (fn))

struct pcscspy_probe_header {
    __u32 type;
    __u32 fn;       /* PcscFunction: position in protocol/pcsc_api.def */
    __u32 library;  /* which probed file (the monitor's numbering) */
    __u32 flags;
    __u32 pid;      /* as seen from the monitor's PID namespace */
    __u32 tid;
    __u64 seq;      /* calls: per process from 1; exit/exec: calls made */
    __u64 time_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
    __s64 rv;       /* CALL_RETURN: the LONG returned */
    __u64 lost;     /* exit/exec: calls of this process dropped in total */
    __u64 args[PCSCSPY_PROBE_MAX_ARGS]; /* CALL_ENTRY: argument values */
    __u64 data_len; /* bytes of items that follow */
};

enum pcscspy_probe_item_kind {
    PROBE_ITEM_VALUE = 1,    /* 8 bytes */
    PROBE_ITEM_BYTES,        /* a buffer (a prefix when the read was cut) */
    PROBE_ITEM_STRING,       /* a C string without its NUL */
    PROBE_ITEM_ALLOC_POINTER,/* 8 bytes: the pointer an autoallocating call wrote */
    PROBE_ITEM_STATES,       /* count * PCSCSPY_PROBE_STATE_SIZE bytes */
    PROBE_ITEM_STATE_NAME,   /* index: the state's position */
    PROBE_ITEM_UNREADABLE,   /* the kernel could not read this argument's memory */
    PROBE_ITEM_COMM,         /* PROCESS_FIRST: the task's comm */
    PROBE_ITEM_ARGV,         /* PROCESS_FIRST: NUL-separated arguments (a prefix) */
    PROBE_ITEM_IDS,          /* PROCESS_FIRST: __u32 uid, __u32 ppid */
};

struct pcscspy_probe_item {
    __u8 arg;   /* argument position */
    __u8 kind;  /* pcscspy_probe_item_kind */
    __u16 index;
    __u32 len;  /* bytes that follow */
};

/* The kernel side's table of processes seen calling (key: kernel tgid). */
struct pcscspy_probe_process {
    __u32 pid;  /* in the monitor's namespace; 0: not visible there */
    __u32 pad;
    __u64 seq;  /* calls numbered so far */
    __u64 lost; /* calls that could not be sent */
};

#endif
