#include "bottle-audit/sarif_output.hpp"

namespace bottle::audit::detail {

std::string file_uri_reference(std::string_view path) {
    // A URI reference: percent-encode what is not unreserved or '/'.
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~' || c == '/';
        if (keep) out += ch;
        else { out += '%'; out += hex[c >> 4]; out += hex[c & 0xF]; }
    }
    return out;
}

boost::json::object sarif_location(const audit_outcome& o, const report::finding& f) {
    std::string file = o.target;
    std::string logical = f.subject;
    std::string kind = o.kind == "smolvm" ? "object" : "member";
    if (const auto* e = f.evidence.if_object()) {
        if (const auto* fl = e->if_contains("file"); fl && fl->is_string()) file = std::string(fl->get_string());
        if (const auto* p = e->if_contains("pointer"); p && p->is_string() && !p->get_string().empty())
            logical = std::string(p->get_string());
    }
    return boost::json::object{
        {"physicalLocation", boost::json::object{{"artifactLocation", boost::json::object{{"uri", file_uri_reference(file)}}}}},
        {"logicalLocations", boost::json::array{boost::json::object{{"fullyQualifiedName", logical}, {"kind", kind}}}}};
}

}  // namespace bottle::audit::detail

namespace bottle::audit {

boost::json::object audit_sarif(const audit_outcome& o) {
    boost::json::array rules;
    for (const auto& r : audit_rules) {
        rules.push_back(boost::json::object{
            {"id", r.id},
            {"shortDescription", boost::json::object{{"text", r.title}}},
            {"defaultConfiguration", boost::json::object{{"level", sarif_level(r.severity)}}},
            {"help", boost::json::object{{"text", "see docs/bottle-audit.md, finding " + std::string(r.id)}}},
            {"properties", boost::json::object{{"security-severity", sarif_security_severity(r.severity)},
                                               {"severity", to_string(r.severity)}}}});
    }
    boost::json::array results;
    results.reserve(o.findings.size());
    for (const auto& f : o.findings) {
        boost::json::object res{{"ruleId", f.id}};
        for (std::size_t i = 0; i < audit_rules.size(); ++i)
            if (audit_rules[i].id == f.id) res["ruleIndex"] = i;
        res["level"] = sarif_level(f.severity);
        std::string text = f.subject + ": " + f.message;
        if (!f.remedy.empty()) text += " Remedy: " + f.remedy;
        res["message"] = boost::json::object{{"text", text}};
        res["locations"] = boost::json::array{detail::sarif_location(o, f)};
        res["properties"] = boost::json::object{{"severity", to_string(f.severity)},
                                                {"security-severity", sarif_security_severity(f.severity)},
                                                {"evidence", f.evidence}};
        results.push_back(std::move(res));
    }
    boost::json::object driver{{"name", "bottle-audit"},
                               {"version", tool_version},
                               {"rules", std::move(rules)}};
    boost::json::object run{{"tool", boost::json::object{{"driver", std::move(driver)}}}, {"results", std::move(results)}};
    return boost::json::object{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                               {"version", "2.1.0"},
                               {"runs", boost::json::array{std::move(run)}}};
}

}  // namespace bottle::audit
