// What the probes read for each argument of each PC/SC function, derived from
// the argument kinds of protocol/pcsc_api.def (protocol/arg_spec.hpp): the
// kernel side is generic and follows this plan.
#pragma once

#include "monitor/ebpf/probe_records.h"
#include "protocol/pcsc_functions.hpp"

namespace pcscspy::ebpf {

pcscspy_probe_plan capture_plan(PcscFunction fn);

}  // namespace pcscspy::ebpf
