// tools/bottle-egress/http_head.cpp — see http_head.hpp.
#include "bottle-egress/http_head.hpp"
#include "bottle-egress/http_token.hpp"

#include "bottle-egress/text.hpp"

#include <algorithm>
#include <charconv>

namespace bottle::egress {

namespace {

constexpr std::size_t max_method_bytes = 32;
constexpr std::size_t max_length_digits = 15;  // 10^15 bytes: no overflow anywhere

result<std::optional<std::size_t>> failed(std::string message) {
    return make_error(errc::parse_error, std::move(message));
}

/// Finds the end of the head (just past CRLF CRLF), refusing bare CR, bare
/// LF and NUL as soon as they arrive so a broken client is answered at once
/// instead of waiting for a terminator that never comes.
result<std::optional<std::size_t>> find_head_end(std::string_view buf, const head_limits& limits) {
    const std::size_t scan = std::min(buf.size(), limits.max_head_bytes);
    for (std::size_t i = 0; i < scan; ++i) {
        const char c = buf[i];
        if (c == '\0') return failed("NUL byte in the message head");
        if (c == '\n' && (i == 0 || buf[i - 1] != '\r')) return failed("bare LF in the message head");
        if (c == '\r' && i + 1 < buf.size() && buf[i + 1] != '\n') return failed("bare CR in the message head");
        if (c == '\n' && i >= 3 && buf[i - 2] == '\n') return std::optional<std::size_t>(i + 1);
    }
    if (buf.size() >= limits.max_head_bytes) {
        return make_error(errc::limit_exceeded,
                          "message head larger than " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    return std::optional<std::size_t>();
}

/// Splits the head into lines (without CRLF); the last, empty line is dropped.
std::vector<std::string_view> split_lines(std::string_view head) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < head.size()) {
        const std::size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos) break;
        lines.push_back(head.substr(start, end - start));
        start = end + 2;
    }
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

result<std::vector<header_field>> parse_fields(const std::vector<std::string_view>& lines, const head_limits& limits) {
    std::vector<header_field> fields;
    if (lines.size() - 1 > limits.max_fields) {
        return make_error(errc::limit_exceeded, "more than " + std::to_string(limits.max_fields) + " header fields");
    }
    for (std::size_t n = 1; n < lines.size(); ++n) {
        const std::string_view line = lines[n];
        if (line.empty()) return make_error(errc::parse_error, "empty line inside the message head");
        if (line[0] == ' ' || line[0] == '\t') return make_error(errc::parse_error, "obs-fold (a field line starting with whitespace)");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return make_error(errc::parse_error, "field line without a colon: " + quote(line));
        const std::string_view name = line.substr(0, colon);
        if (name.empty()) return make_error(errc::parse_error, "empty field name");
        if (name.back() == ' ' || name.back() == '\t') {
            return make_error(errc::parse_error, "whitespace before the colon in field " + quote(name));
        }
        if (!is_token(name)) return make_error(errc::parse_error, "invalid character in field name " + quote(name));
        std::string_view value = line.substr(colon + 1);
        for (char ch : value) {
            const auto c = static_cast<unsigned char>(ch);
            if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                return make_error(errc::parse_error, "control byte in the value of field " + quote(name));
            }
        }
        value = trim_ows(value);
        fields.push_back({std::string(name), std::string(value)});
    }
    return fields;
}

result<std::uint64_t> parse_content_length(std::string_view v) {
    if (v.empty() || v.size() > max_length_digits || !std::all_of(v.begin(), v.end(), is_digit)) {
        return make_error(errc::parse_error, "malformed Content-Length " + quote(v));
    }
    if (v.size() > 1 && v[0] == '0') return make_error(errc::parse_error, "Content-Length with a leading zero " + quote(v));
    std::uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
}

struct framing {
    std::optional<std::uint64_t> length;
    bool chunked = false;
};

/// The framing rules shared by requests and responses.
result<framing> check_framing(const std::vector<header_field>& fields, int version_minor) {
    framing f;
    int lengths = 0, encodings = 0;
    for (const auto& field : fields) {
        if (iequals(field.name, "content-length")) {
            if (++lengths > 1) return make_error(errc::parse_error, "duplicate Content-Length");
            auto n = parse_content_length(field.value);
            if (!n) return n.error();
            f.length = *n;
        } else if (iequals(field.name, "transfer-encoding")) {
            if (++encodings > 1) return make_error(errc::parse_error, "duplicate Transfer-Encoding");
            if (!iequals(field.value, "chunked")) {
                return make_error(errc::parse_error, "Transfer-Encoding other than chunked: " + quote(field.value));
            }
            f.chunked = true;
        }
    }
    if (lengths && encodings) return make_error(errc::parse_error, "Content-Length together with Transfer-Encoding");
    if (encodings && version_minor == 0) return make_error(errc::parse_error, "Transfer-Encoding in an HTTP/1.0 message");
    for (const auto& token : connection_tokens(fields)) {
        if (token == "content-length" || token == "transfer-encoding" || token == "host") {
            return make_error(errc::parse_error, "Connection lists the framing field " + quote(token));
        }
    }
    return f;
}

result<int> parse_version(std::string_view v) {
    if (v == "HTTP/1.1") return 1;
    if (v == "HTTP/1.0") return 0;
    return make_error(errc::parse_error, "unsupported protocol version " + quote(v));
}

result<std::uint16_t> parse_port(std::string_view p) {
    if (p.empty()) return make_error(errc::parse_error, "empty port");
    if (p.size() > 5 || !std::all_of(p.begin(), p.end(), is_digit)) return make_error(errc::parse_error, "malformed port " + quote(p));
    if (p[0] == '0') return make_error(errc::parse_error, "port with a leading zero or port 0: " + quote(p));
    unsigned n = 0;
    std::from_chars(p.data(), p.data() + p.size(), n);
    if (n > 65535) return make_error(errc::parse_error, "port out of range " + quote(p));
    return static_cast<std::uint16_t>(n);
}

result<void> parse_target(request_head& h) {
    const std::string_view t = h.target;
    for (char ch : t) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f) return make_error(errc::parse_error, "invalid byte in the request target");
    }
    if (h.method == "CONNECT") {
        auto a = parse_authority(t, 0);
        if (!a) return a.error();
        h.form = target_form::authority;
        h.host = std::move(a->host);
        h.host_bracketed = a->bracketed;
        h.port = a->port;
        return {};
    }
    if (!t.empty() && t[0] == '/') {
        return make_error(errc::parse_error, "origin-form request target: this is a proxy, send an absolute http:// URI or CONNECT");
    }
    if (t == "*") return make_error(errc::parse_error, "asterisk-form request target");
    constexpr std::string_view scheme = "http://";
    if (t.size() < scheme.size() || !iequals(t.substr(0, scheme.size()), scheme)) {
        return make_error(errc::parse_error, "only http:// request targets are proxied (use CONNECT for TLS): " + quote(t));
    }
    if (t.find('#') != std::string_view::npos) return make_error(errc::parse_error, "fragment in the request target");
    const std::string_view rest = t.substr(scheme.size());
    const std::size_t path_at = rest.find_first_of("/?");
    const std::string_view auth = rest.substr(0, path_at);
    auto a = parse_authority(auth, 80);
    if (!a) return a.error();
    h.form = target_form::absolute;
    h.host = std::move(a->host);
    h.host_bracketed = a->bracketed;
    h.port = a->port;
    const std::string_view path = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
    h.origin_path = path.empty() ? "/" : (path[0] == '?' ? "/" + std::string(path) : std::string(path));
    return {};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::vector<std::string> connection_tokens(const std::vector<header_field>& fields) {
    std::vector<std::string> tokens;
    for (const auto& f : fields) {
        if (!iequals(f.name, "connection")) continue;
        std::string_view v = f.value;
        while (!v.empty()) {
            const std::size_t comma = v.find(',');
            const std::string_view token = trim_ows(v.substr(0, comma));
            if (!token.empty()) tokens.push_back(lower(token));
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
        }
    }
    return tokens;
}

bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& listed) noexcept {
    const std::string n = lower(name);
    if (n == "connection" || n == "keep-alive" || n == "te" || n == "upgrade" || n.starts_with("proxy-")) return true;
    return std::find(listed.begin(), listed.end(), n) != listed.end();
}

result<authority> parse_authority(std::string_view text, std::uint16_t default_port) {
    if (text.empty()) return make_error(errc::parse_error, "empty authority");
    if (text.find('@') != std::string_view::npos) return make_error(errc::parse_error, "userinfo in the authority " + quote(text));
    authority a;
    std::string_view port_text;
    bool has_port = false;
    if (text[0] == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return make_error(errc::parse_error, "unclosed [ in the authority " + quote(text));
        a.host = std::string(text.substr(1, close - 1));
        a.bracketed = true;
        const std::string_view after = text.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return make_error(errc::parse_error, "bytes after ] in the authority " + quote(text));
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        const std::size_t colon = text.find(':');
        if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
            return make_error(errc::parse_error, "IPv6 address without brackets in the authority " + quote(text));
        }
        a.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = text.substr(colon + 1);
            has_port = true;
        }
    }
    if (a.host.empty()) return make_error(errc::parse_error, "empty host in the authority " + quote(text));
    if (has_port) {
        auto p = parse_port(port_text);
        if (!p) return p.error();
        a.port = *p;
    } else if (default_port == 0) {
        return make_error(errc::parse_error, "the authority has no port: " + quote(text));
    } else {
        a.port = default_port;
    }
    return a;
}

namespace {

std::optional<std::string_view> find_field(const std::vector<header_field>& fields, std::string_view name) {
    for (const auto& f : fields) {
        if (iequals(f.name, name)) return std::string_view(f.value);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> request_head::field(std::string_view name) const { return find_field(fields, name); }
std::optional<std::string_view> response_head::field(std::string_view name) const { return find_field(fields, name); }

result<std::optional<request_head>> parse_request_head(std::string_view buffer, const head_limits& limits) {
    auto end = find_head_end(buffer, limits);
    if (!end) return end.error();
    if (!*end) return std::optional<request_head>();
    request_head h;
    h.head_bytes = **end;
    const auto lines = split_lines(buffer.substr(0, h.head_bytes));
    if (lines.empty() || lines[0].empty()) return make_error(errc::parse_error, "empty request line");
    const std::string_view line = lines[0];
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return make_error(errc::parse_error, "request line is not METHOD SP TARGET SP VERSION");
    }
    const std::string_view method = line.substr(0, sp1);
    if (!is_token(method) || method.size() > max_method_bytes) return make_error(errc::parse_error, "invalid method " + quote(method));
    h.method = std::string(method);
    h.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    auto version = parse_version(line.substr(sp2 + 1));
    if (!version) return version.error();
    h.version_minor = *version;
    auto target = parse_target(h);
    if (!target) return target.error();
    auto fields = parse_fields(lines, limits);
    if (!fields) return fields.error();
    h.fields = std::move(*fields);
    auto f = check_framing(h.fields, h.version_minor);
    if (!f) return f.error();
    int hosts = 0;
    for (const auto& field : h.fields) {
        if (iequals(field.name, "host") && ++hosts > 1) return make_error(errc::parse_error, "more than one Host field");
    }
    if (hosts == 0 && h.version_minor == 1 && h.form == target_form::absolute) {
        return make_error(errc::parse_error, "HTTP/1.1 request without a Host field");
    }
    if (f->chunked) {
        h.body = body_kind::chunked;
    } else if (f->length && *f->length > 0) {
        h.body = body_kind::length;
        h.content_length = *f->length;
    }
    return std::optional<request_head>(std::move(h));
}

result<std::optional<response_head>> parse_response_head(std::string_view buffer, std::string_view request_method,
                                                         const head_limits& limits) {
    auto end = find_head_end(buffer, limits);
    if (!end) return end.error();
    if (!*end) return std::optional<response_head>();
    response_head h;
    h.head_bytes = **end;
    const auto lines = split_lines(buffer.substr(0, h.head_bytes));
    if (lines.empty() || lines[0].empty()) return make_error(errc::parse_error, "empty status line");
    const std::string_view line = lines[0];
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
        return make_error(errc::parse_error, "malformed status line " + quote(line));
    }
    auto version = parse_version(line.substr(0, 8));
    if (!version) return version.error();
    h.version_minor = *version;
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), is_digit) || code[0] == '0') {
        return make_error(errc::parse_error, "malformed status code " + quote(code));
    }
    h.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (line.size() > 13) h.reason = std::string(line.substr(13));
    for (char ch : h.reason) {
        const auto c = static_cast<unsigned char>(ch);
        if (c != '\t' && (c < 0x20 || c == 0x7f)) return make_error(errc::parse_error, "control byte in the reason phrase");
    }
    auto fields = parse_fields(lines, limits);
    if (!fields) return fields.error();
    h.fields = std::move(*fields);
    auto f = check_framing(h.fields, h.version_minor);
    if (!f) return f.error();
    if (request_method == "HEAD" || h.status < 200 || h.status == 204 || h.status == 304) {
        h.body = body_kind::none;
    } else if (f->chunked) {
        h.body = body_kind::chunked;
    } else if (f->length) {
        h.body = *f->length > 0 ? body_kind::length : body_kind::none;
        h.content_length = *f->length;
    } else {
        h.body = body_kind::until_close;
    }
    return std::optional<response_head>(std::move(h));
}

}  // namespace bottle::egress
