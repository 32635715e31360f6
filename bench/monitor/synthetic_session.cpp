#include "synthetic_session.hpp"

#include <random>
#include <vector>

#include "protocol/hex.hpp"

namespace pcscspy::bench {

namespace {

struct Process {
    int pid;
    int64_t ts_us;
    uint64_t seq = 0;
    int64_t ctx, card;
    std::string reader;
    int state = 0;   // position in its script
    int loops = 0;
};

std::string hex32(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%08llX", static_cast<unsigned long long>(v));
    return b;
}

std::string spaced(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        if (i) out += ' ';
        out += hex.substr(i, 2);
    }
    return out;
}

class Writer {
public:
    Writer(const SyntheticOptions& o, const std::function<void(const std::string&, const std::string&)>& emit)
        : o_(o), emit_(emit), rng_(o.seed) {}

    void run() {
        std::vector<Process> ps;
        for (int i = 0; i < o_.processes; ++i) {
            Process p;
            p.pid = 20000 + i;
            p.ts_us = 1764030000000000 + i * 1000;
            p.ctx = 0x1000000 + i;
            p.card = 0x2000000 + i;
            p.reader = "Virtual PCD 00 " + std::string(i % o_.readers < 10 ? "0" : "") + std::to_string(i % o_.readers);
            ps.push_back(p);
        }
        std::uniform_int_distribution<int> pick(0, o_.processes - 1);
        while (count_ < o_.events) step(ps[pick(rng_)]);
        for (Process& p : ps) bye(p);
    }

private:
    void event(const std::string& line, const std::string& spy = "") {
        ++count_;
        emit_(line, spy);
    }
    std::string head(const Process& p, const char* type) {
        return std::string(R"({"v":1,"type":")") + type + R"(","pid":)" + std::to_string(p.pid) + R"(,"tid":)" +
               std::to_string(p.pid) + R"(,"ts_us":)" + std::to_string(p.ts_us);
    }
    // One call: optional begin, the call line, and its pcsc-spy form.
    void call(Process& p, const std::string& fn, int64_t dur_ns, int64_t rv, const std::string& extra,
              const std::string& in, const std::string& out, const std::string& spy_args, bool begin) {
        ++p.seq;
        if (begin) event(head(p, "begin") + R"(,"seq":)" + std::to_string(p.seq) + R"(,"fn":")" + fn + "\"}");
        std::string line = head(p, "call") + R"(,"seq":)" + std::to_string(p.seq) + R"(,"fn":")" + fn +
                           R"(","dur_ns":)" + std::to_string(dur_ns) + R"(,"rv":)" + std::to_string(rv) +
                           R"(,"rv_name":")" + (rv ? "SCARD_E_TIMEOUT" : "SCARD_S_SUCCESS") + "\"" + extra +
                           R"(,"in":)" + in + R"(,"out":)" + out + "}";
        // pcsc-spy: "<tid>@>|sec|usec|fn", argument lines, "<tid>@<|sec|usec|fn|text|rv".
        std::string t = std::to_string(p.pid) + "@";
        int64_t end = p.ts_us + dur_ns / 1000;
        std::string spy = t + ">|" + std::to_string(p.ts_us / 1000000) + "|" + std::to_string(p.ts_us % 1000000) + "|" +
                          fn + "\n";
        size_t start = 0;
        while (start < spy_args.size()) {
            size_t nl = spy_args.find('\n', start);
            spy += t + spy_args.substr(start, nl - start) + "\n";
            start = nl + 1;
        }
        spy += t + "<|" + std::to_string(end / 1000000) + "|" + std::to_string(end % 1000000) + "|" + fn + "|" +
               (rv ? "Command timeout." : "Command successful.") + "|" + hex32(static_cast<uint32_t>(rv)) + "\n";
        event(line, spy);
        p.ts_us = end + 50 + static_cast<int64_t>(rng_() % 200);
    }

    void transmit(Process& p, const std::string& apdu, const std::string& resp) {
        std::string in = R"({"hCard":)" + std::to_string(p.card) +
                         R"(,"pioSendPci":{"dwProtocol":2,"cbPciLength":16},"pbSendBuffer":")" + apdu +
                         R"(","cbSendLength":)" + std::to_string(apdu.size() / 2) +
                         R"(,"pioRecvPci":null,"pcbRecvLength":258})";
        std::string out = R"({"pbRecvBuffer":")" + resp + R"(","pcbRecvLength":)" + std::to_string(resp.size() / 2) + "}";
        std::string spy = hex32(p.card) + "\n0x00000002\n0x00000010\n" + hex32(apdu.size() / 2) + "\n" + spaced(apdu) +
                          "\n0x00000002\n0x00000010\n" + hex32(resp.size() / 2) + "\n" + spaced(resp) + "\n";
        call(p, "SCardTransmit", 40'000'000 + static_cast<int64_t>(rng_() % 10'000'000), 0,
             R"(,"reader":")" + p.reader + "\"", in, out, spy, rng_() % 4 == 0);
    }

    void card_call(Process& p, const std::string& fn, const std::string& more_in, const std::string& spy_more) {
        call(p, fn, 20'000 + static_cast<int64_t>(rng_() % 20'000), 0, R"(,"reader":")" + p.reader + "\"",
             R"({"hCard":)" + std::to_string(p.card) + more_in + "}", "{}", hex32(p.card) + "\n" + spy_more, false);
    }

    void status_change(Process& p) {
        std::string atr = "3B951381018073FF01000B";
        std::string in = R"({"hContext":)" + std::to_string(p.ctx) +
                         R"(,"dwTimeout":1000,"rgReaderStates":[{"szReader":")" + p.reader +
                         R"(","dwCurrentState":32,"dwEventState":0,"cbAtr":0,"rgbAtr":""}],"cReaders":1})";
        std::string out = R"({"rgReaderStates":[{"szReader":")" + p.reader +
                          R"(","dwCurrentState":32,"dwEventState":32,"cbAtr":11,"rgbAtr":")" + atr + R"("}]})";
        std::string spy = hex32(p.ctx) + "\n0x000003E8\n0x00000001\n" + p.reader + "\n0x00000020\n0x00000000\n0x00000000\n\n" +
                          p.reader + "\n0x00000020\n0x00000020\n0x0000000B\n" + spaced(atr) + "\n";
        call(p, "SCardGetStatusChange", 1'000'000'000, 0x8010000A, R"(,"ctx":)" + std::to_string(p.ctx), in, out, spy,
             true);
    }

    void step(Process& p) {
        switch (p.state) {
            case 0:
                event(head(p, "hello") + R"(,"ppid":1,"uid":1000,"exe":"/usr/bin/bench-client","argv":["bench-client",")" +
                      std::to_string(p.pid) + R"("],"via":"preload","backend":"/lib/libpcsclite.so.1","spy":"0.1.0"})");
                call(p, "SCardEstablishContext", 200'000, 0, "", R"({"dwScope":0,"pvReserved1":null,"pvReserved2":null})",
                     R"({"phContext":)" + std::to_string(p.ctx) + "}", "0x00000000\n" + hex32(p.ctx) + "\n", false);
                p.state = 1;
                break;
            case 1:
                status_change(p);
                call(p, "SCardConnect", 20'000'000, 0, R"(,"ctx":)" + std::to_string(p.ctx),
                     R"({"hContext":)" + std::to_string(p.ctx) + R"(,"szReader":")" + p.reader +
                         R"(","dwShareMode":2,"dwPreferredProtocols":3})",
                     R"({"phCard":)" + std::to_string(p.card) + R"(,"pdwActiveProtocol":2})",
                     hex32(p.ctx) + "\n" + p.reader + "\n0x00000002\n0x00000003\n0x00000001\n0x00000001\n" +
                         hex32(p.card) + "\n0x00000002\n",
                     true);
                p.state = 2;
                break;
            case 2: {
                card_call(p, "SCardBeginTransaction", "", "");
                transmit(p, "00A4040007A0000003080000", "61" + std::string("1A"));
                transmit(p, "00C000001A", "4F0BA0000003080000100001007912" + std::string("4F07A0000001165001790C4E00") + "9000");
                transmit(p, "00B0000080", std::string(256, 'A') + "9000");
                transmit(p, "0084000008", "1122334455667788" "9000");
                transmit(p, "0020008008313233343536FFFF", (p.loops % 7 == 0) ? "63C2" : "9000");
                card_call(p, "SCardEndTransaction", R"(,"dwDisposition":0)", "0x00000000\n");
                if (++p.loops % 50 == 0) p.state = 3;
                break;
            }
            case 3:
                card_call(p, "SCardDisconnect", R"(,"dwDisposition":0)", "0x00000000\n");
                p.state = 1;
                break;
        }
    }

    void bye(Process& p) {
        if (p.state == 0) return;
        call(p, "SCardReleaseContext", 100'000, 0, R"(,"ctx":)" + std::to_string(p.ctx),
             R"({"hContext":)" + std::to_string(p.ctx) + "}", "{}", hex32(p.ctx) + "\n", false);
        event(head(p, "bye") + R"(,"calls":)" + std::to_string(p.seq) + R"(,"lost":0})");
    }

    const SyntheticOptions& o_;
    const std::function<void(const std::string&, const std::string&)>& emit_;
    std::mt19937_64 rng_;
    uint64_t count_ = 0;
};

}  // namespace

void generate_session(const SyntheticOptions& o,
                      const std::function<void(const std::string& line, const std::string& spy)>& emit) {
    Writer(o, emit).run();
}

}  // namespace pcscspy::bench
