// escape-tests/protocol/lines.hpp — the lines that pass between bottle-probe,
// the lab and the runner, written and read in one place.
//
// (Over 400 lines on purpose: every line's encoder and strict decoder sit in
// this one header, side by side, so the two ends of the protocol cannot
// drift apart.)
//
//   probe line    bottle-probe run, one per probe, on the sandbox's stdout:
//                 {"probe","tag","status","reason","applicability",
//                 "attempts":[{"channel","action","outcome","made","reached",
//                 "na"}],"observed":[...],"facts":[{"name","value"}],
//                 "duration_ms"}
//   listing line  bottle-probe list --json: {"probe","description","scoring",
//                 "channels":[...]}
//   event line    the lab's logs (sinks, canary, orphans, markers):
//                 {"t","sink","proto","local","peer","data"}
//   host status   the lab host's logs/host-status.jsonl, one fact a line:
//                 {"error": text}, {"sandbox_exit": "0" | "signal Killed"} or
//                 {"fact": "name=value"} (a lab-host fact, e.g. "ia32=yes")
//
// Strings are byte strings. The encoder writes every byte that is not
// printable ASCII as \u00XX, so binary data (a raw frame, a DNS query) travels
// in valid JSON; the decoder turns code points 0..255 back into those bytes,
// so a round trip is exact. The encoders carry no JSON library (the probe is
// static and small); the decoders use Boost.JSON and are inline, so the
// runner, tests and fuzzers share them without linking the harness, and the
// probe, which never decodes, never instantiates them.
//
// What a line claims is untrusted (a sandbox writes the probe lines and the
// sink data). Decoding is strict: unknown keys, wrong types, a status other
// than ran/na/error, code points above 255 and trailing garbage are errors
// naming what was wrong, and a caller drops the line (fail closed: a probe
// without a valid line is ERROR, never BLOCKED).
#pragma once

#include "bottle/result.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::protocol {

/// What the probe says it managed to do. Never a verdict: the runner decides.
enum class probe_status {
    ran,    ///< the attack was attempted
    na,     ///< the attack does not apply here
    error,  ///< it could not be attempted (fail-closed default)
};

[[nodiscard]] constexpr std::string_view to_string(probe_status s) noexcept {
    switch (s) {
        case probe_status::ran: return "ran";
        case probe_status::na: return "na";
        case probe_status::error: return "error";
    }
    return "error";
}

[[nodiscard]] constexpr std::optional<probe_status> status_from(std::string_view s) noexcept {
    if (s == "ran") return probe_status::ran;
    if (s == "na") return probe_status::na;
    if (s == "error") return probe_status::error;
    return std::nullopt;
}

/// How the runner may score a probe (bit set). Every probe is checked against
/// sinks, tokens and effects anyway; `self` additionally lets an attempt the
/// probe reports as `reached` count as in-sandbox evidence.
namespace scoring {
inline constexpr unsigned sink = 1;    ///< a lab sink saw the tag
inline constexpr unsigned token = 2;   ///< a canary token surfaced in the report
inline constexpr unsigned effect = 4;  ///< a host-side effect carrying the tag
inline constexpr unsigned self = 8;    ///< the probe's own report (weaker evidence)
inline constexpr unsigned all = 15;
}  // namespace scoring

/// Why an attack (or one channel of it) does not apply. The probe may only
/// name a key; the runner accepts it when a fact seen outside the sandbox
/// confirms it (runner/applicability.hpp), never on the sandbox's word alone.
namespace applicability {
inline constexpr std::string_view no_proxy = "no_proxy";                    ///< no proxy in the sandbox's environment
inline constexpr std::string_view no_module_support = "no_module_support";  ///< kernel without loadable modules
inline constexpr std::string_view no_compat_abi = "no_compat_abi";          ///< neither the IA32 nor the x32 entry
inline constexpr std::string_view no_ia32 = "no_ia32";                      ///< no int 0x80 entry
inline constexpr std::string_view no_x32 = "no_x32";                        ///< no x32 entry
}  // namespace applicability

/// One thing a probe tried, on one of its declared channels.
///   made     the attack was really issued (a connect, a query sent, a
///            syscall called); the outcome is then the sandbox's answer.
///            false: the probe could not make it here (the outcome says why).
///   reached  it took effect (connected, syscall accepted, file written).
///   na       for an attempt not made: the applicability key that says the
///            channel does not apply (empty: it simply was not made).
struct attempt {
    std::string channel;   ///< one of the probe's declared channels ("" when it declares none)
    std::string action;    ///< "tcp connect 203.0.113.10:80"
    std::string outcome;   ///< "connected, sent 61 bytes" / "ENETUNREACH"
    bool made = false;
    bool reached = false;
    std::string na;
    friend bool operator==(const attempt&, const attempt&) = default;
};

/// One probe's report.
struct probe_line {
    std::string id;     ///< the probe, "net.tcp4_direct" (key "probe")
    std::string tag;    ///< "bbx-<nonce>-<slug>"
    probe_status status = probe_status::error;
    std::string reason;
    std::string applicability;  ///< the key of a status na
    std::vector<attempt> attempts;
    std::vector<std::string> observed;  ///< raw data the probe read
    /// Structured things the probe saw that the runner compares exactly with
    /// lab facts (runner/lab_facts.hpp): {"own_address", "10.200.0.2"}.
    std::vector<std::pair<std::string, std::string>> facts;
    long duration_ms = 0;
    /// Per attempt (same index; "" for none, or empty altogether): the tag
    /// that attempt puts in what it sends, which the control run must find
    /// outside (runner/control_paths.hpp). Key "expects".
    std::vector<std::string> expects;
    friend bool operator==(const probe_line&, const probe_line&) = default;
};

/// One entry of `bottle-probe list --json`.
struct probe_listing {
    std::string id;  ///< key "probe"
    std::string description;
    unsigned scoring = 0;                ///< scoring:: bits
    std::vector<std::string> channels;  ///< the paths the attack must take (empty: one unnamed)
    friend bool operator==(const probe_listing&, const probe_listing&) = default;
};

/// One thing the lab saw: a sink record, a marker file, an orphan, a signal.
struct lab_event {
    std::string sink;    ///< "world.tcp", "host.canary", "marker", "host.orphan", ...
    std::string proto;   ///< "tcp", "udp", "unix", "frame", "file", "process", "signal"
    std::string local, peer, data;
    long long t_ms = 0;  ///< wall clock, ms since the epoch (0 when unknown)
    friend bool operator==(const lab_event&, const lab_event&) = default;
};

/// One fact the lab host reports to the runner.
struct host_status {
    enum class kind { error, sandbox_exit, fact };
    kind what = kind::error;
    std::string text;  ///< the error; how the sandbox's main process ended; "name=value"
    friend bool operator==(const host_status&, const host_status&) = default;
};

// ---------------------------------------------------------------------------
// encoding (no JSON library)

/// A JSON string literal holding the bytes of `s` (see the banner).
[[nodiscard]] inline std::string json_string(std::string_view s) {
    std::string out = "\"";
    out.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    return out;
}

namespace detail {

[[nodiscard]] inline std::string json_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_string(items[i]);
    return out + "]";
}

}  // namespace detail

/// One line, without the newline.
[[nodiscard]] inline std::string encode(const probe_line& p) {
    std::string out = "{\"probe\":" + json_string(p.id) + ",\"tag\":" + json_string(p.tag) +
                      ",\"status\":" + json_string(to_string(p.status)) + ",\"reason\":" + json_string(p.reason) +
                      ",\"applicability\":" + json_string(p.applicability) + ",\"attempts\":[";
    for (std::size_t i = 0; i < p.attempts.size(); ++i) {
        const auto& a = p.attempts[i];
        out += (i ? ",{\"channel\":" : "{\"channel\":") + json_string(a.channel) + ",\"action\":" + json_string(a.action) +
               ",\"outcome\":" + json_string(a.outcome) + ",\"made\":" + (a.made ? "true" : "false") +
               ",\"reached\":" + (a.reached ? "true" : "false") + ",\"na\":" + json_string(a.na) + "}";
    }
    out += "],\"observed\":" + detail::json_list(p.observed) + ",\"facts\":[";
    for (std::size_t i = 0; i < p.facts.size(); ++i)
        out += (i ? ",{\"name\":" : "{\"name\":") + json_string(p.facts[i].first) + ",\"value\":" + json_string(p.facts[i].second) + "}";
    out += "],\"duration_ms\":" + std::to_string(p.duration_ms);
    if (!p.expects.empty()) out += ",\"expects\":" + detail::json_list(p.expects);
    return out + "}";
}

[[nodiscard]] inline std::string encode(const probe_listing& l) {
    return "{\"probe\":" + json_string(l.id) + ",\"description\":" + json_string(l.description) +
           ",\"scoring\":" + std::to_string(l.scoring) + ",\"channels\":" + detail::json_list(l.channels) + "}";
}

[[nodiscard]] inline std::string encode(const lab_event& e) {
    return "{\"t\":" + std::to_string(e.t_ms) + ",\"sink\":" + json_string(e.sink) + ",\"proto\":" + json_string(e.proto) +
           ",\"local\":" + json_string(e.local) + ",\"peer\":" + json_string(e.peer) + ",\"data\":" + json_string(e.data) +
           "}";
}

[[nodiscard]] inline std::string encode(const host_status& h) {
    const char* key = h.what == host_status::kind::error ? "{\"error\":"
                      : h.what == host_status::kind::fact ? "{\"fact\":"
                                                           : "{\"sandbox_exit\":";
    return key + json_string(h.text) + "}";
}

// ---------------------------------------------------------------------------
// decoding (Boost.JSON)

namespace detail {

/// UTF-8 text whose code points are all <= 255 -> those bytes.
[[nodiscard]] inline std::optional<std::string> bytes_of(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c == 0xc2 || c == 0xc3) && i + 1 < utf8.size() &&
                   (static_cast<unsigned char>(utf8[i + 1]) & 0xc0) == 0x80) {
            out += static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3f));
            ++i;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

class object_reader {
public:
    object_reader(const boost::json::object& o, std::string_view what) : o_(o), what_(what) {}

    /// Fails unless every key of the object is in `known`.
    [[nodiscard]] result<void> only(std::initializer_list<std::string_view> known) const {
        for (const auto& kv : o_) {
            bool ok = false;
            for (auto k : known) ok = ok || kv.key() == k;
            if (!ok) return fail("unknown key \"" + std::string(kv.key()) + "\"");
        }
        return {};
    }
    /// A byte string; a missing key reads as "" unless `required`.
    [[nodiscard]] result<std::string> bytes(std::string_view key, bool required = false) const {
        const auto* v = o_.if_contains(key);
        if (!v) return required ? result<std::string>(fail("missing \"" + std::string(key) + "\"")) : std::string();
        return bytes_value(*v, key);
    }
    [[nodiscard]] result<std::string> bytes_value(const boost::json::value& v, std::string_view key) const {
        if (!v.is_string()) return fail("\"" + std::string(key) + "\" is not a string");
        auto b = bytes_of(v.get_string());
        if (!b) return fail("\"" + std::string(key) + "\" holds a code point above 255");
        return std::move(*b);
    }
    /// A boolean; a missing key reads as false (fail closed: not made, not reached).
    [[nodiscard]] result<bool> flag(std::string_view key) const {
        const auto* v = o_.if_contains(key);
        if (!v) return false;
        if (!v->is_bool()) return fail("\"" + std::string(key) + "\" is not true or false");
        return v->get_bool();
    }
    [[nodiscard]] result<long long> integer(std::string_view key) const {
        const auto* v = o_.if_contains(key);
        if (!v) return 0LL;
        if (v->is_int64()) return static_cast<long long>(v->get_int64());
        if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
            return static_cast<long long>(v->get_uint64());
        return fail("\"" + std::string(key) + "\" is not an integer");
    }
    /// The list under `key`; nullptr when the key is absent (an empty list).
    [[nodiscard]] result<const boost::json::array*> array(std::string_view key) const {
        const auto* v = o_.if_contains(key);
        if (!v) return nullptr;
        if (!v->is_array()) return fail("\"" + std::string(key) + "\" is not a list");
        return &v->get_array();
    }
    [[nodiscard]] error fail(const std::string& why) const {
        return make_error(errc::parse_error, std::string(what_) + ": " + why);
    }

private:
    const boost::json::object& o_;
    std::string_view what_;
};

[[nodiscard]] inline result<boost::json::object> parse_object(std::string_view line, std::string_view what) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec) return make_error(errc::parse_error, std::string(what) + ": not JSON (" + ec.message() + ")");
    if (!v.is_object()) return make_error(errc::parse_error, std::string(what) + ": not a JSON object");
    return std::move(v.get_object());
}

}  // namespace detail

/// A probe line; an error says why the line is not one.
[[nodiscard]] inline result<probe_line> decode_probe_line(std::string_view line) {
    auto obj = detail::parse_object(line, "probe line");
    if (!obj) return obj.error();
    const detail::object_reader r(*obj, "probe line");
    if (auto k = r.only({"probe", "tag", "status", "reason", "applicability", "attempts", "observed", "facts", "duration_ms", "expects"}); !k)
        return k.error();
    probe_line p;
    auto probe = r.bytes("probe", true);
    if (!probe) return probe.error();
    if (probe->empty()) return r.fail("empty \"probe\"");
    p.id = std::move(*probe);
    auto status_text = r.bytes("status", true);
    if (!status_text) return status_text.error();
    const auto status = status_from(*status_text);
    if (!status) return r.fail("status \"" + *status_text + "\" is not ran, na or error");
    p.status = *status;
    auto tag = r.bytes("tag");
    auto reason = r.bytes("reason");
    auto key = r.bytes("applicability");
    auto ms = r.integer("duration_ms");
    if (!tag) return tag.error();
    if (!reason) return reason.error();
    if (!key) return key.error();
    if (!ms) return ms.error();
    p.tag = std::move(*tag);
    p.reason = std::move(*reason);
    p.applicability = std::move(*key);
    p.duration_ms = static_cast<long>(*ms);
    auto attempts = r.array("attempts");
    auto observed = r.array("observed");
    if (!attempts) return attempts.error();
    if (!observed) return observed.error();
    static const boost::json::array none;
    for (const auto& a : *attempts ? **attempts : none) {
        if (!a.is_object()) return r.fail("an attempt is not an object");
        const detail::object_reader ar(a.get_object(), "probe line attempt");
        if (auto k = ar.only({"channel", "action", "outcome", "made", "reached", "na"}); !k) return k.error();
        auto channel = ar.bytes("channel");
        auto action = ar.bytes("action");
        auto outcome = ar.bytes("outcome");
        auto na = ar.bytes("na");
        auto made = ar.flag("made");
        auto reached = ar.flag("reached");
        for (const auto* f : {&channel, &action, &outcome, &na})
            if (!*f) return f->error();
        if (!made) return made.error();
        if (!reached) return reached.error();
        if (*made && !na->empty()) return ar.fail("an attempt that was made cannot be not applicable");
        p.attempts.push_back({std::move(*channel), std::move(*action), std::move(*outcome), *made, *reached, std::move(*na)});
    }
    for (const auto& o : *observed ? **observed : none) {
        auto b = r.bytes_value(o, "observed");
        if (!b) return b.error();
        p.observed.push_back(std::move(*b));
    }
    auto facts = r.array("facts");
    if (!facts) return facts.error();
    for (const auto& f : *facts ? **facts : none) {
        if (!f.is_object()) return r.fail("a fact is not an object");
        const detail::object_reader fr(f.get_object(), "probe line fact");
        if (auto k = fr.only({"name", "value"}); !k) return k.error();
        auto name = fr.bytes("name", true);
        auto value = fr.bytes("value", true);
        if (!name) return name.error();
        if (!value) return value.error();
        p.facts.emplace_back(std::move(*name), std::move(*value));
    }
    auto expects = r.array("expects");
    if (!expects) return expects.error();
    for (const auto& e : *expects ? **expects : none) {
        auto b = r.bytes_value(e, "expects");
        if (!b) return b.error();
        p.expects.push_back(std::move(*b));
    }
    if (!p.expects.empty() && p.expects.size() != p.attempts.size())
        return r.fail("\"expects\" must have one entry per attempt");
    return p;
}

[[nodiscard]] inline result<probe_listing> decode_probe_listing(std::string_view line) {
    auto obj = detail::parse_object(line, "probe listing");
    if (!obj) return obj.error();
    const detail::object_reader r(*obj, "probe listing");
    if (auto k = r.only({"probe", "description", "scoring", "channels"}); !k) return k.error();
    probe_listing l;
    auto probe = r.bytes("probe", true);
    auto description = r.bytes("description");
    auto bits = r.integer("scoring");
    if (!probe) return probe.error();
    if (!description) return description.error();
    if (!bits) return bits.error();
    if (probe->empty()) return r.fail("empty \"probe\"");
    if (*bits < 0 || *bits > scoring::all) return r.fail("\"scoring\" " + std::to_string(*bits) + " is not a set of scoring bits");
    l.id = std::move(*probe);
    l.description = std::move(*description);
    l.scoring = static_cast<unsigned>(*bits);
    auto channels = r.array("channels");
    if (!channels) return channels.error();
    if (*channels)
        for (const auto& c : **channels) {
            auto name = r.bytes_value(c, "channels");
            if (!name) return name.error();
            if (name->empty()) return r.fail("an empty channel name");
            l.channels.push_back(std::move(*name));
        }
    return l;
}

[[nodiscard]] inline result<lab_event> decode_event_line(std::string_view line) {
    auto obj = detail::parse_object(line, "event line");
    if (!obj) return obj.error();
    const detail::object_reader r(*obj, "event line");
    if (auto k = r.only({"t", "sink", "proto", "local", "peer", "data"}); !k) return k.error();
    lab_event e;
    auto t = r.integer("t");
    auto sink = r.bytes("sink", true);
    auto proto = r.bytes("proto");
    auto local = r.bytes("local");
    auto peer = r.bytes("peer");
    auto data = r.bytes("data");
    for (const auto* f : {&sink, &proto, &local, &peer, &data})
        if (!*f) return f->error();
    if (!t) return t.error();
    if (sink->empty()) return r.fail("empty \"sink\"");
    e.t_ms = *t;
    e.sink = std::move(*sink);
    e.proto = std::move(*proto);
    e.local = std::move(*local);
    e.peer = std::move(*peer);
    e.data = std::move(*data);
    return e;
}

[[nodiscard]] inline result<host_status> decode_host_status(std::string_view line) {
    auto obj = detail::parse_object(line, "host status line");
    if (!obj) return obj.error();
    const detail::object_reader r(*obj, "host status line");
    if (auto k = r.only({"error", "sandbox_exit", "fact"}); !k) return k.error();
    if (obj->size() != 1) return r.fail("needs exactly one of \"error\", \"sandbox_exit\" and \"fact\"");
    host_status h;
    h.what = obj->contains("error")  ? host_status::kind::error
             : obj->contains("fact") ? host_status::kind::fact
                                     : host_status::kind::sandbox_exit;
    auto text = r.bytes(obj->begin()->key(), true);
    if (!text) return text.error();
    h.text = std::move(*text);
    return h;
}

}  // namespace bottle::escape::protocol
