// bottle/manifest/agent_md.hpp — agents as markdown files with YAML front matter.
//
//     ---
//     bottle: [dev, gpu]
//     provider: claude
//     skills: [git]
//     ---
//     Fix the failing tests.            <- the body is the prompt
//
// The front matter is parsed by yaml-cpp's event parser into a JSON object
// and checked by the same schema as JSON agents (schema.hpp). As strict as the
// JSON loader: unknown keys, duplicate keys, anchors, aliases and tags are
// refused, every error naming the file and line. Plain scalars are strings
// (`~`, `null` and an empty value are null, which the schema refuses);
// `prompt` may not appear (the body is the prompt). Untrusted input: size and
// nesting are bounded, and no exception leaves the parser (fuzzed:
// fuzz/manifest_agent_md.cpp).
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <boost/json/value.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

namespace detail {

/// Builds a boost::json value from YAML events, refusing what the format does not allow.
class strict_yaml_builder final : public YAML::EventHandler {
public:
    strict_yaml_builder(std::size_t max_depth, std::size_t line_offset) : max_depth_(max_depth), line_offset_(line_offset) {}

    boost::json::value root;
    std::string failure;  ///< first problem, "line L, column C: ..." (empty when none)
    std::vector<std::pair<std::string, std::size_t>> lines;  ///< top-level key -> line

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++docs_ > 1) fail(mark, "only one YAML document is allowed in front matter");
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (!check_anchor(mark, anchor)) return;
        add(mark, boost::json::value(nullptr), "");
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { fail(mark, "aliases (*name) are not allowed"); }
    void OnAnchor(const YAML::Mark& mark, const std::string&) override { fail(mark, "anchors (&name) are not allowed"); }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
        if (!check_anchor(mark, anchor) || !check_tag(mark, tag)) return;
        // yaml-cpp reports "~", "null" and empty plain scalars through OnNull; the rest is text.
        add(mark, boost::json::value(boost::json::string_view(value)), value);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
        if (!check_anchor(mark, anchor) || !check_tag(mark, tag)) return;
        open(mark, boost::json::array());
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
        if (!check_anchor(mark, anchor) || !check_tag(mark, tag)) return;
        open(mark, boost::json::object());
    }
    void OnMapEnd() override { close(); }

private:
    struct frame {
        boost::json::value value;
        std::set<std::string> keys;
        std::string pending_key;
        bool expecting_key = true;
        YAML::Mark mark;
    };
    std::size_t max_depth_;
    std::size_t line_offset_;
    std::vector<frame> stack_;
    std::size_t docs_ = 0;

    std::size_t line_of(const YAML::Mark& m) const { return static_cast<std::size_t>(m.line < 0 ? 0 : m.line) + 1 + line_offset_; }
    std::string where(const YAML::Mark& m) const {
        return "line " + std::to_string(line_of(m)) + ", column " + std::to_string(m.column < 0 ? 1 : m.column + 1);
    }
    void fail(const YAML::Mark& m, std::string_view msg) {
        if (failure.empty()) failure = where(m) + ": " + std::string(msg);
    }
    bool check_anchor(const YAML::Mark& m, YAML::anchor_t a) {
        if (a != YAML::NullAnchor) fail(m, "anchors (&name) are not allowed");
        return failure.empty();
    }
    bool check_tag(const YAML::Mark& m, const std::string& tag) {
        // "?" = plain (untagged), "!" = quoted or block scalar; anything else was written by the user.
        if (!tag.empty() && tag != "?" && tag != "!") fail(m, "tags (" + tag + ") are not allowed");
        return failure.empty();
    }
    void add(const YAML::Mark& m, boost::json::value v, const std::string& text) {
        if (!failure.empty()) return;
        if (stack_.empty()) {
            root = std::move(v);
            return;
        }
        frame& f = stack_.back();
        if (f.value.is_array()) {
            f.value.get_array().push_back(std::move(v));
            return;
        }
        if (f.expecting_key) {
            if (!v.is_string()) return fail(m, "a key must be a plain string");
            if (!f.keys.insert(text).second) return fail(m, "duplicate key \"" + text + "\"");
            if (stack_.size() == 1) lines.emplace_back(text, line_of(m));
            f.pending_key = text;
            f.expecting_key = false;
            return;
        }
        f.value.get_object()[f.pending_key] = std::move(v);
        f.expecting_key = true;
    }
    void open(const YAML::Mark& m, boost::json::value v) {
        if (!failure.empty()) return;
        if (!stack_.empty() && stack_.back().value.is_object() && stack_.back().expecting_key) return fail(m, "a key must be a plain string");
        if (stack_.size() >= max_depth_) return fail(m, limit_text("max_json_depth", max_depth_));
        stack_.push_back(frame{std::move(v), {}, {}, true, m});
    }
    void close() {
        if (!failure.empty() || stack_.empty()) return;
        frame f = std::move(stack_.back());
        stack_.pop_back();
        add(f.mark, std::move(f.value), "");
    }
};

inline bool is_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c >> 5) == 0x6) n = 1, cp = c & 0x1fu;
        else if ((c >> 4) == 0xe) n = 2, cp = c & 0x0fu;
        else if ((c >> 3) == 0x1e) n = 3, cp = c & 0x07u;
        else return false;
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 0x2) return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

/// The next line of `text` from `pos` without its line break ("\n" or "\r\n"); `pos` moves past it.
inline std::string_view next_line(std::string_view text, std::size_t& pos) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace detail

/// Parses one markdown agent file's text into an agent definition (the JSON
/// agent form: front matter keys plus `prompt` from the body) and validates
/// it. `source` names the file in errors. Errors: parse_error (with line),
/// limit_exceeded. Never throws.
[[nodiscard]] inline result<boost::json::object> parse_agent_markdown(std::string_view text, std::string_view source,
                                                                      const limits& lim = {}) noexcept {
    const std::string src(source);
    auto fail = [&](const std::string& msg) { return make_error(errc::parse_error, src + ": " + msg); };
    try {
        if (text.size() > lim.max_file_bytes) return make_error(errc::limit_exceeded, src + ": " + detail::limit_text("max_file_bytes", lim.max_file_bytes));
        if (!detail::is_utf8(text)) return fail("not valid UTF-8");
        std::size_t pos = 0;
        if (detail::next_line(text, pos) != "---")
            return fail("line 1: an agent file starts with YAML front matter between two \"---\" lines");
        const std::size_t fm_begin = pos;
        std::size_t fm_end = std::string_view::npos;
        while (pos < text.size()) {
            const std::size_t at = pos;
            if (detail::next_line(text, pos) == "---") {
                fm_end = at;
                break;
            }
        }
        if (fm_end == std::string_view::npos) return fail("line 1: front matter is not closed by a \"---\" line");
        const std::string front(text.substr(fm_begin, fm_end - fm_begin));
        std::istringstream in(front);
        YAML::Parser parser(in);
        detail::strict_yaml_builder b(lim.max_json_depth, 1);
        while (b.failure.empty() && parser.HandleNextDocument(b)) {
        }
        if (!b.failure.empty()) return fail(b.failure);
        if (b.root.is_null() && front.find_first_not_of(" \t\r\n") == std::string::npos) b.root = boost::json::object();
        if (!b.root.is_object()) return fail("line 2: front matter must be a mapping of keys (bottle, provider, skills, command)");
        auto& agent = b.root.get_object();
        auto line_of = [&](std::string_view key) {
            for (const auto& [k, l] : b.lines)
                if (k == key) return l;
            return std::size_t{2};
        };
        if (agent.contains("prompt")) return fail("line " + std::to_string(line_of("prompt")) + ": \"prompt\" is not a front matter key: the body of the file is the prompt");
        for (const auto& m : agent) {
            const std::string_view k = m.key();
            if (k != "bottle" && k != "command" && k != "provider" && k != "skills")
                return fail("line " + std::to_string(line_of(k)) + ": unknown key \"" + std::string(k) + "\" (expected bottle, command, provider, skills)");
        }
        // The body: leading blank lines and trailing whitespace are not part of the prompt.
        std::string_view body = text.substr(pos);
        while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) body.remove_prefix(1);
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ' || body.back() == '\t')) body.remove_suffix(1);
        if (!body.empty()) agent["prompt"] = boost::json::string(body);
        if (auto r = validate_agent(b.root, src, "", lim); !r) {
            // The schema names a JSON pointer ("src: /bottle/0: ..."): add the key's line.
            const std::string& msg = r.error().message;
            const std::string prefix = src + ": /";
            if (msg.rfind(prefix, 0) == 0) {
                const std::size_t key_end = msg.find_first_of("/:", prefix.size());
                const std::string key = msg.substr(prefix.size(), key_end - prefix.size());
                return error{r.error().code, src + ": line " + std::to_string(line_of(key)) + ": " + msg.substr(src.size() + 2)};
            }
            return r.error();
        }
        return std::move(agent);
    } catch (const YAML::Exception& e) {
        return fail("line " + std::to_string(static_cast<std::size_t>(e.mark.line < 0 ? 0 : e.mark.line) + 2) + ", column " + std::to_string(e.mark.column < 0 ? 1 : e.mark.column + 1) +
                    ": invalid YAML front matter (" + e.msg + ")");
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, src + ": out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, src + ": unexpected error: " + e.what());
    }
}

/// Reads the markdown agent file `path` as a manifest part holding one agent
/// named after the file (`fixer.md` -> `fixer`). Never throws.
[[nodiscard]] inline result<manifest> load_agent_markdown(const std::filesystem::path& path, const limits& lim = {}) noexcept {
    try {
        const std::string src = path.string();
        const std::string name = path.stem().string();
        if (!is_valid_name(name))
            return make_error(errc::parse_error, src + ": invalid agent name \"" + name + "\" (1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
        std::ifstream in(path, std::ios::binary);
        if (!in) return make_error(errc::io_error, src + ": cannot open agent file for reading");
        std::string text = detail::read_at_most(in, lim.max_file_bytes);  // one byte more reveals a file over the limit
        if (in.bad()) return make_error(errc::io_error, src + ": read failed");
        auto agent = parse_agent_markdown(text, src, lim);
        if (!agent) return agent.error();
        manifest out;
        out.agents[name] = std::move(*agent);
        out.agent_origin.emplace(name, src);
        return out;
    } catch (const std::exception& e) {
        return make_error(errc::internal, path.string() + ": unexpected error: " + e.what());
    }
}

}  // namespace bottle::manifest
