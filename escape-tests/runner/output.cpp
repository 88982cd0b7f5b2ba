#include "output.hpp"

#include "bottle/report/json_writer.hpp"
#include "bottle/report/junit_writer.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>
#include <sstream>

namespace bottle::escape {

namespace json = boost::json;

namespace {

const char* colour_of(verdict v) {
    switch (v) {
        case verdict::escaped: return "\x1b[31;1m";
        case verdict::exposed: return "\x1b[35m";
        case verdict::blocked: return "\x1b[32m";
        case verdict::error: return "\x1b[33;1m";
        case verdict::not_applicable: return "\x1b[2m";
    }
    return "";
}

const probe_verdict* control_of(const run_result& r) {
    for (const auto& v : r.verdicts)
        if (v.is_control()) return &v;
    return nullptr;
}

std::string category_of(const std::string& id) { return id.substr(0, id.find('.')); }

// ", probes 3000 ms each" (", 4 side by side" when wider); "" when not known.
std::string probe_deadline_text(const run_result& r) {
    if (r.probe_timeout_ms <= 0) return {};
    return ", probes " + std::to_string(r.probe_timeout_ms) + " ms each" +
           (r.probe_jobs > 1 ? ", network probes " + std::to_string(r.probe_jobs) + " side by side" : std::string());
}

// "bbx-lab (uid 64200)", "root (uid 0)", or "—" when the sandbox never ran.
std::string run_as_text(const run_result& r) {
    if (r.uid < 0 || r.run_as.empty()) return "—";
    return r.run_as + " (uid " + std::to_string(r.uid) + ")";
}

std::string string_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

bool control_as_expected(const run_result& r) {
    const auto* c = control_of(r);
    if (!c) return true;
    const bool reachable = c->result == verdict::escaped;
    return r.allows_upstream ? reachable : c->result != verdict::error;
}

std::string control_text(const run_result& r) {
    const auto* c = control_of(r);
    if (!c) return "not run";
    const bool reachable = c->result == verdict::escaped;
    if (c->result == verdict::error) return "ERROR (" + c->reason + ")";
    if (r.allows_upstream) return reachable ? "reachable (expected)" : "UNREACHABLE (the profile allows it: broken)";
    return reachable ? "reachable (the profile allows no egress: that is an escape path)" : "unreachable (expected: no egress allowed)";
}

void write_text(std::ostream& os, const run_result& r, bool colour, bool verbose) {
    const char* reset = colour ? "\x1b[0m" : "";
    os << "sandbox " << r.profile << (r.version.empty() ? "" : " (" + r.version + ")") << ", run as " << run_as_text(r)
       << ", nonce " << r.nonce << probe_deadline_text(r) << "\n";
    if (!r.completed()) os << "run error: " << r.error_message() << "\n";
    for (const auto& v : r.verdicts) {
        std::string label(to_string(v.result));
        if (v.is_control()) label = v.result == verdict::escaped ? "REACHED" : v.result == verdict::blocked ? "NOREACH" : label;
        os << (colour ? colour_of(v.result) : "") << label << std::string(9 - std::min<std::size_t>(label.size(), 8), ' ') << reset << v.id;
        if (!v.evidence.empty()) os << "  " << v.evidence.front().kind << ": " << v.evidence.front().detail;
        else if (!v.reason.empty()) os << "  " << v.reason;
        if (v.evidence.size() > 1) os << " (+" << v.evidence.size() - 1 << " more)";
        os << "\n";
        if (verbose && v.report)
            for (const auto& a : v.report->attempts) os << "           " << a.action << " -> " << a.outcome << "\n";
        if (verbose)
            for (const auto& g : v.control_gaps) os << "           path not escaped: " << g << "\n";
    }
    const auto t = count(r.verdicts);
    os << r.profile << ": " << t.escaped << " escaped, " << t.exposed << " exposed, " << t.blocked << " blocked, " << t.error
       << " error, " << t.not_applicable << " n/a (of " << t.total() << " probes); "
       << "positive control: " << control_text(r) << "; " << r.duration_ms / 1000.0 << " s\n";
}

json::value to_json(const run_result& r) {
    json::array probes;
    for (const auto& v : r.verdicts) {
        json::array ev;
        for (const auto& e : v.evidence) ev.push_back(json::object{{"kind", e.kind}, {"detail", e.detail}});
        json::object p{{"id", v.id},           {"description", v.description},
                       {"verdict", to_string(v.result)}, {"reason", v.reason},
                       {"control", v.is_control()},      {"evidence", std::move(ev)}};
        if (!v.control_gaps.empty()) {
            json::array gaps;
            for (const auto& g : v.control_gaps) gaps.push_back(json::value(g));
            p["paths_not_escaped"] = std::move(gaps);
        }
        if (v.report) {
            json::array attempts;
            const auto& expects = v.report->expects;
            for (std::size_t i = 0; i < v.report->attempts.size(); ++i) {
                const auto& a = v.report->attempts[i];
                json::object o{{"action", a.action}, {"outcome", a.outcome}, {"reached", a.reached}};
                // The path tag the control run expects outside (control_paths.hpp).
                if (expects.size() == v.report->attempts.size() && !expects[i].empty()) o["expect"] = expects[i];
                attempts.push_back(std::move(o));
            }
            p["status"] = to_string(v.report->status);
            p["attempts"] = std::move(attempts);
            p["duration_ms"] = v.report->duration_ms;
        }
        probes.push_back(std::move(p));
    }
    const auto t = count(r.verdicts);
    json::object body{{"profile", r.profile},
                      {"description", r.description},
                      {"version", r.version},
                      {"run_as", r.run_as},
                      {"uid", r.uid},
                      {"nonce", r.nonce},
                      {"duration_ms", r.duration_ms},
                      {"probe_timeout_ms", r.probe_timeout_ms},
                      {"probe_jobs", r.probe_jobs},
                      {"error", r.error_message()},
                      {"error_code", r.completed() ? 0 : r.completion.error().code.value()},
                      {"allows_upstream", r.allows_upstream},
                      {"positive_control", control_text(r)},
                      {"summary", json::object{{"escaped", t.escaped}, {"exposed", t.exposed}, {"blocked", t.blocked}, {"error", t.error},
                                               {"not_applicable", t.not_applicable}}},
                      {"probes", std::move(probes)}};
    auto doc = report::make_document("escape-run", std::move(body));
    return doc ? json::value(std::move(*doc)) : json::value(json::object{{"error", doc.error().message}});
}

result<run_result> run_from_json(const json::value& v) {
    if (!v.is_object()) return make_error(errc::parse_error, "an escape-run document must be a JSON object");
    if (auto ok = report::check_schema(v.as_object(), "escape-run"); !ok) return ok.error();
    const auto& o = v.as_object();
    run_result r;
    r.profile = string_at(o, "profile");
    r.description = string_at(o, "description");
    r.version = string_at(o, "version");
    r.run_as = string_at(o, "run_as");
    if (const auto* u = o.if_contains("uid"); u && u->is_int64()) r.uid = static_cast<long>(u->as_int64());
    r.nonce = string_at(o, "nonce");
    if (const std::string e = string_at(o, "error"); e.empty()) {
        r.completion = {};
    } else {
        const auto* code = o.if_contains("error_code");
        const int value = code && code->is_int64() && code->as_int64() > 0 ? static_cast<int>(code->as_int64())
                                                                            : static_cast<int>(errc::internal);
        r.completion = error{boost::system::error_code(value, error_category()), e};
    }
    if (const auto* a = o.if_contains("allows_upstream"); a && a->is_bool()) r.allows_upstream = a->as_bool();
    if (const auto* d = o.if_contains("duration_ms"); d && d->is_int64()) r.duration_ms = static_cast<long>(d->as_int64());
    if (const auto* d = o.if_contains("probe_timeout_ms"); d && d->is_int64()) r.probe_timeout_ms = static_cast<int>(d->as_int64());
    if (const auto* d = o.if_contains("probe_jobs"); d && d->is_int64()) r.probe_jobs = static_cast<int>(d->as_int64());
    const auto* probes = o.if_contains("probes");
    if (!probes || !probes->is_array()) return make_error(errc::parse_error, "escape-run document has no /probes list");
    for (const auto& p : probes->as_array()) {
        if (!p.is_object()) return make_error(errc::parse_error, "escape-run /probes entries must be objects");
        probe_verdict pv;
        pv.id = string_at(p.as_object(), "id");
        pv.description = string_at(p.as_object(), "description");
        pv.reason = string_at(p.as_object(), "reason");
        const std::string verdict_text = string_at(p.as_object(), "verdict");
        pv.result = verdict_text == "ESCAPED"   ? verdict::escaped
                    : verdict_text == "EXPOSED" ? verdict::exposed
                    : verdict_text == "BLOCKED" ? verdict::blocked
                    : verdict_text == "N/A"     ? verdict::not_applicable
                                                : verdict::error;
        if (const auto* ev = p.as_object().if_contains("evidence"); ev && ev->is_array())
            for (const auto& e : ev->as_array())
                if (e.is_object()) pv.evidence.push_back({string_at(e.as_object(), "kind"), string_at(e.as_object(), "detail")});
        r.verdicts.push_back(std::move(pv));
    }
    return r;
}

result<std::string> to_junit(const run_result& r) {
    report::junit_report rep("bottle-escape " + r.profile);
    for (const auto& v : r.verdicts) {
        report::test_case c{};
        c.classname = "escape." + r.profile + "." + category_of(v.id);
        c.name = v.id;
        if (v.report) c.time_seconds = static_cast<double>(v.report->duration_ms) / 1000.0;
        std::string detail;
        for (const auto& e : v.evidence) detail += e.kind + ": " + e.detail + "\n";
        c.detail = detail;
        if (v.is_control()) {
            const bool ok = control_as_expected(r);
            c.status = ok ? report::case_status::passed : report::case_status::failure;
            c.message = "positive control: " + control_text(r);
        } else {
            switch (v.result) {
                case verdict::escaped: c.status = report::case_status::failure; c.message = "ESCAPED"; break;
                case verdict::exposed:
                    c.status = report::case_status::failure;
                    c.message = "EXPOSED: attack surface reached (in-sandbox evidence)";
                    break;
                case verdict::blocked: c.status = report::case_status::passed; break;
                case verdict::error: c.status = report::case_status::error; c.message = v.reason; break;
                case verdict::not_applicable: c.status = report::case_status::skipped; c.message = v.reason; break;
            }
        }
        rep.add(category_of(v.id), std::move(c));
    }
    return report::to_junit_xml(rep);
}

std::string compare_markdown(const std::vector<run_result>& runs) {
    std::ostringstream md;
    md << "| profile | version | runs as | escaped | exposed | blocked | error | n/a | positive control | run time |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& r : runs) {
        const auto t = count(r.verdicts);
        md << "| " << r.profile << " | " << (r.version.empty() ? "—" : r.version) << " | " << run_as_text(r) << " | "
           << t.escaped << " | " << t.exposed << " | "
           << t.blocked << " | " << t.error << " | " << t.not_applicable << " | " << control_text(r) << " | "
           << r.duration_ms / 100 / 10.0 << " s |\n";
        if (!r.completed()) md << "| | **run error:** " << r.error_message().substr(0, 300) << " | | | | | | | | |\n";
    }
    md << "\n| probe |";
    for (const auto& r : runs) md << " " << r.profile << " |";
    md << "\n|---|";
    for (std::size_t i = 0; i < runs.size(); ++i) md << "---|";
    md << "\n";
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::map<std::pair<std::size_t, std::string>, const probe_verdict*> cell;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (const auto& v : runs[i].verdicts) {
            if (seen.insert(v.id).second) ids.push_back(v.id);
            cell[{i, v.id}] = &v;
        }
    for (const auto& id : ids) {
        md << "| `" << id << "` |";
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const auto it = cell.find({i, id});
            if (it == cell.end()) {
                md << " — |";
                continue;
            }
            const auto* v = it->second;
            std::string text(to_string(v->result));
            if (v->is_control()) text = v->result == verdict::escaped ? "reached" : v->result == verdict::blocked ? "not reached" : "ERROR";
            else if (v->result == verdict::escaped) text = "**ESCAPED**";
            else if (v->result == verdict::exposed) text = "*EXPOSED*";
            md << " " << text << " |";
        }
        md << "\n";
    }
    md << "| **escaped / exposed / blocked / error / n/a** |";
    for (const auto& r : runs) {
        const auto t = count(r.verdicts);
        md << " " << t.escaped << " / " << t.exposed << " / " << t.blocked << " / " << t.error << " / " << t.not_applicable << " |";
    }
    md << "\n";
    return md.str();
}

json::value compare_json(const std::vector<run_result>& runs) {
    json::array list;
    for (const auto& r : runs) list.push_back(to_json(r));
    auto doc = report::make_document("escape-compare", json::object{{"runs", std::move(list)}});
    return doc ? json::value(std::move(*doc)) : json::value(json::object{{"error", doc.error().message}});
}

}  // namespace bottle::escape
