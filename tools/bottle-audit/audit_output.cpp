#include "bottle-audit/audit_output.hpp"

namespace bottle::audit {

std::string_view subject_noun(const audit_outcome& o) {
    return o.kind == "smolvm" ? "machines" : "bottles";
}

void write_text(std::ostream& out, const audit_outcome& o, report::severity fail_on, report::text_style style) {
    out << "bottle-audit: " << (o.kind == "smolvm" ? "smolvm database " : "manifest ") << report::printable(o.target) << ": "
        << o.subjects.size() << ' ' << subject_noun(o);
    if (!o.pool.empty()) out << ", loopback pool " << o.pool;
    out << '\n';
    for (const auto& f : o.findings) report::write_finding(out, f, style);
    const auto n = count_by_severity(o.findings);
    const auto failing = report::count_at_least(o.findings, fail_on);
    out << n[4] << " critical, " << n[3] << " high, " << n[2] << " medium, " << n[1] << " low, " << n[0] << " info; ";
    if (failing == 0) {
        out << report::paint("ok", report::text_colour::green, style) << ": nothing at or above " << to_string(fail_on) << '\n';
    } else {
        out << report::paint("FAIL", report::text_colour::red, style) << ": " << failing << " finding"
            << (failing == 1 ? "" : "s") << " at or above " << to_string(fail_on) << '\n';
    }
}

boost::json::object audit_document(const audit_outcome& o, report::severity fail_on) {
    const auto n = count_by_severity(o.findings);
    boost::json::object body{{"tool", "bottle-audit"}, {"version", tool_version}, {"audit", o.kind}, {"target", o.target}};
    if (!o.pool.empty()) body["pool"] = o.pool;
    body["fail_on"] = to_string(fail_on);
    body["ok"] = report::count_at_least(o.findings, fail_on) == 0;
    body["subjects"] = o.subjects.size();
    body["summary"] = boost::json::object{{"critical", n[4]}, {"high", n[3]}, {"medium", n[2]}, {"low", n[1]}, {"info", n[0]}};
    body["findings"] = report::to_json_array(o.findings);
    return report::make_document("audit", body).value();  // body has no "schema": cannot fail
}

}  // namespace bottle::audit

namespace bottle::audit::detail {

std::string finding_line(const report::finding& f) {
    std::string s = std::string(to_string(f.severity)) + " " + f.id + ": " + f.message;
    if (!f.evidence.is_null())
        s += "\n  evidence: " + (f.evidence.is_string() ? std::string(f.evidence.get_string()) : boost::json::serialize(f.evidence));
    if (!f.remedy.empty()) s += "\n  remedy: " + f.remedy;
    return s;
}

}  // namespace bottle::audit::detail

namespace bottle::audit {

report::junit_report audit_junit(const audit_outcome& o, report::severity fail_on) {
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_subject;
    by_subject.reserve(o.subjects.size());
    for (const auto& s : o.subjects) by_subject.try_emplace(s);
    for (std::size_t i = 0; i < o.findings.size(); ++i) by_subject[o.findings[i].subject].push_back(i);
    report::junit_report r("bottle-audit");
    const std::string classname = "audit." + o.kind;
    auto add_case = [&](std::string_view subject, const std::vector<std::size_t>& idx) {
        report::test_case c{classname, std::string(subject).empty() ? std::string("(no subject)") : std::string(subject),
                            report::case_status::passed, "", "", 0.0};
        std::string failing_ids;
        std::size_t failing = 0;
        for (auto i : idx) {
            const auto& f = o.findings[i];
            c.detail += (c.detail.empty() ? "" : "\n") + detail::finding_line(f);
            if (report::at_least(f.severity, fail_on)) {
                ++failing;
                failing_ids += (failing_ids.empty() ? "" : ", ") + f.id + " (" + std::string(to_string(f.severity)) + ")";
            }
        }
        if (failing > 0) {
            c.status = report::case_status::failure;
            c.message = std::to_string(failing) + " finding" + (failing == 1 ? "" : "s") + " at or above " +
                        std::string(to_string(fail_on)) + ": " + failing_ids;
        }
        r.add(o.kind, std::move(c));
    };
    for (const auto& s : o.subjects) {
        auto it = by_subject.find(s);
        if (it == by_subject.end()) continue;  // a duplicate subject already reported
        add_case(s, it->second);
        by_subject.erase(it);
    }
    for (std::size_t i = 0; i < o.findings.size(); ++i) {  // findings about unlisted subjects, in report order
        auto it = by_subject.find(o.findings[i].subject);
        if (it == by_subject.end()) continue;
        add_case(o.findings[i].subject, it->second);
        by_subject.erase(it);
    }
    if (r.suites().empty()) r.add(o.kind, {classname, "(nothing audited)", report::case_status::passed, "", "", 0.0});
    return r;
}

}  // namespace bottle::audit
