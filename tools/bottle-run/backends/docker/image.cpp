// The agent image: recipe -> context tar -> identity -> reuse or build.
#include "bottle-run/backends/docker/image.hpp"

#include "bottle-run/backends/docker/context_ignore.hpp"
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"

#include "bottle/os/file.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace bottle::run::docker {

namespace json = boost::json;
namespace fs = std::filesystem;

// --- SHA-256 (FIPS 180-4): the tag names the inputs, so it must not collide --

namespace image_detail {

constexpr std::array<std::uint32_t, 64> sha256_k{
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline std::uint32_t rotr(std::uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

void sha256_block(std::array<std::uint32_t, 8>& h, const unsigned char* p) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) | (std::uint32_t(p[4 * i + 2]) << 8) | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
        const auto s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const auto s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, hh] = h;
    for (int i = 0; i < 64; ++i) {
        const auto t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[static_cast<std::size_t>(i)] + w[i];
        const auto t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

std::string trim_copy(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

std::string lower_copy(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Adds `dir`/`rel` and what is under it, in name order.
struct context_walk {
    sidecar::tar_writer tar;
    context_ignore ignore;
    std::string dockerfile;  ///< sent whatever .dockerignore says, as .dockerignore itself
    std::size_t bytes = 0, entries = 0;
};

result<void> add_context_entry(context_walk& w, const fs::path& root, const std::string& rel) {
    auto& t = w.tar;
    auto& bytes = w.bytes;
    auto& entries = w.entries;
    const std::string path = (root / rel).string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return make_error(errc::io_error, "build context: lstat " + path + ": " + std::strerror(errno));
    const bool ignored = !rel.empty() && rel != w.dockerfile && rel != ".dockerignore" && w.ignore.excluded(rel);
    // An ignored directory is walked only when an exception (!) may bring
    // back something under it; its own entry is left out either way.
    if (ignored && !(S_ISDIR(st.st_mode) && w.ignore.has_exceptions())) return {};
    if (++entries > max_context_entries)
        return make_error(errc::limit_exceeded, "build context " + root.string() + ": limit max_context_entries (" + std::to_string(max_context_entries) +
                                                    ") exceeded; give the Dockerfile a directory of its own");
    const unsigned mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
        if (!rel.empty() && !ignored) t.directory(rel, mode);
        std::vector<std::string> names;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(path, ec)) names.push_back(e.path().filename().string());
        if (ec) return make_error(errc::io_error, "build context: cannot list " + path + ": " + ec.message());
        std::sort(names.begin(), names.end());
        for (const auto& n : names)
            if (auto r = add_context_entry(w, root, rel.empty() ? n : rel + "/" + n); !r) return r;
        return {};
    }
    if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        t.symlink(rel, fs::read_symlink(path, ec).string());
        if (ec) return make_error(errc::io_error, "build context: readlink " + path + ": " + ec.message());
        return {};
    }
    if (!S_ISREG(st.st_mode))
        return make_error(errc::invalid_argument, "build context: " + path + " is not a file, directory or symlink; remove it from " + root.string());
    bytes += static_cast<std::size_t>(st.st_size);
    if (bytes > max_context_bytes)
        return make_error(errc::limit_exceeded, "build context " + root.string() + ": limit max_context_bytes (" + std::to_string(max_context_bytes) +
                                                    ") exceeded; give the Dockerfile a directory of its own");
    auto content = os::read_file(path, max_context_bytes);
    if (!content) return make_error(errc::io_error, "build context: " + content.error().message);
    t.file(rel, *content, mode);
    return {};
}

/// One JSON line of the daemon's build output: its text goes to `progress`;
/// an error line is kept in `failure`.
void build_line(const std::string& line, std::ostream& progress, std::string& failure) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.get_object();
    if (const auto* s = o.if_contains("stream"); s && s->is_string()) {
        // A build step prints what its programs print (a package's install
        // script, say): control bytes other than newline and tab are dropped,
        // so nothing in it drives the user's terminal.
        std::string text;
        for (char c : s->get_string())
            if (c == '\n' || c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)) text += c;
        progress << text << std::flush;
    }
    if (const auto* e = o.if_contains("error"); e && e->is_string()) failure = std::string(e->get_string());
}

}  // namespace image_detail

std::string sha256_hex(const std::string& bytes) {
    std::array<std::uint32_t, 8> h{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::size_t i = 0;
    for (; i + 64 <= bytes.size(); i += 64) image_detail::sha256_block(h, reinterpret_cast<const unsigned char*>(bytes.data() + i));
    unsigned char tail[128] = {};
    const std::size_t rest = bytes.size() - i;
    std::memcpy(tail, bytes.data() + i, rest);
    tail[rest] = 0x80;
    const std::size_t blocks = rest + 9 > 64 ? 2 : 1;
    const std::uint64_t bits = static_cast<std::uint64_t>(bytes.size()) * 8;
    for (int b = 0; b < 8; ++b) tail[blocks * 64 - 1 - static_cast<std::size_t>(b)] = static_cast<unsigned char>(bits >> (8 * b));
    for (std::size_t b = 0; b < blocks; ++b) image_detail::sha256_block(h, tail + 64 * b);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto word : h)
        for (int s = 28; s >= 0; s -= 4) out += hex[(word >> s) & 15];
    return out;
}

result<std::optional<image_recipe>> recipe_for(const std::optional<std::string>& bottle_dockerfile, const std::string& bottle_name,
                                               const std::string& provider_name, const std::string& provider_image,
                                               const std::string& provider_source, const std::string& home) {
    image_recipe r;
    if (bottle_dockerfile) {
        std::string path = *bottle_dockerfile;
        if (path == "~" || path.rfind("~/", 0) == 0) path = home + path.substr(1);
        if (path.empty() || path.front() != '/')
            return make_error(errc::invalid_argument, "bottle " + bottle_name + ": dockerfile \"" + *bottle_dockerfile +
                                                          "\" must be an absolute path or start with ~/");
        r.recipe = "bottle " + bottle_name + "'s Dockerfile " + path;
        r.label = "bottle " + bottle_name;
        r.dockerfile = fs::path(path).lexically_normal().string();
    } else if (!provider_image.empty() && !provider_source.empty()) {
        const auto dir = fs::path(provider_source).parent_path() / "images" / provider_image;
        r.recipe = "provider " + provider_name + "'s image recipe " + provider_image + " (" + (dir / "Dockerfile").string() + ")";
        r.label = "provider " + provider_name;
        r.dockerfile = (dir / "Dockerfile").lexically_normal().string();
    } else {
        return std::optional<image_recipe>();
    }
    struct stat st {};
    if (::stat(r.dockerfile.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(errc::not_found, r.recipe + ": no such file; create it, or name a local image with --image");
    r.context = fs::path(r.dockerfile).parent_path().string();
    return std::optional<image_recipe>(std::move(r));
}

result<std::string> context_tar(const std::string& dir, const std::string& dockerfile_name) {
    image_detail::context_walk w;
    w.dockerfile = dockerfile_name;
    const auto ignore_file = (fs::path(dir) / ".dockerignore").string();
    struct stat st {};
    if (::stat(ignore_file.c_str(), &st) == 0) {
        auto text = os::read_file(ignore_file, 1 << 20);
        if (!text) return make_error(errc::io_error, "build context: " + text.error().message);
        w.ignore = context_ignore::parse(*text);
    }
    if (auto r = image_detail::add_context_entry(w, fs::path(dir), ""); !r) return r.error();
    return std::move(w.tar).finish();
}

std::vector<std::string> from_images(const std::string& dockerfile_text) {
    std::vector<std::string> out;
    std::set<std::string> stages;
    std::istringstream in(dockerfile_text);
    std::string line;
    std::map<std::string, std::string> global_args;  // ARG name=value before the first FROM
    bool seen_from = false;
    while (std::getline(in, line)) {
        std::istringstream words(image_detail::trim_copy(line));
        std::string w;
        if (!(words >> w)) continue;
        if (!seen_from && image_detail::lower_copy(w) == "arg") {
            while (words >> w)
                if (const auto eq = w.find('='); eq != std::string::npos && eq > 0) {
                    std::string value = w.substr(eq + 1);
                    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
                        value = value.substr(1, value.size() - 2);
                    global_args[w.substr(0, eq)] = value;
                }
            continue;
        }
        if (image_detail::lower_copy(w) != "from") continue;
        seen_from = true;
        std::string image;
        while (words >> w)
            if (w.rfind("--", 0) != 0) {  // --platform=...
                image = w;
                break;
            }
        if (image.empty()) continue;
        for (const auto& [name, value] : global_args)  // ${NAME} and $NAME from the global ARGs' defaults
            for (const auto& spelling : {"${" + name + "}", "$" + name})
                for (auto at = image.find(spelling); at != std::string::npos; at = image.find(spelling, at + value.size()))
                    image.replace(at, spelling.size(), value);
        std::string as, stage;
        const bool named = words >> as && image_detail::lower_copy(as) == "as" && words >> stage;
        // A name still holding a variable is left to the daemon's build (and
        // is no input of the tag): only an ARG with a default can be resolved.
        if (image.find('$') == std::string::npos && image != "scratch" && !stages.count(image_detail::lower_copy(image)) &&
            std::find(out.begin(), out.end(), image) == out.end())
            out.push_back(image);
        if (named) stages.insert(image_detail::lower_copy(stage));
    }
    return out;
}

image_identity identity_of(const std::string& context, const std::string& dockerfile_name, const std::vector<std::string>& base_ids) {
    std::string inputs = "bot-bottle/agent-image/v1\ncontext " + sha256_hex(context) + "\ndockerfile " + dockerfile_name + "\n";
    for (const auto& id : base_ids) inputs += "from " + id + "\n";
    const auto digest = sha256_hex(inputs);
    return {std::string(agent_image_repo) + ":" + digest.substr(0, 24), digest};
}

result<std::string> ensure_agent_image(const engine& e, const image_recipe& recipe, bool dry_run, std::ostream& progress) {
    auto text = os::read_file(recipe.dockerfile, 1 << 20);
    if (!text) return make_error(errc::io_error, recipe.recipe + ": " + text.error().message);
    // Every FROM image must be on the daemon already: nothing is pulled.
    std::vector<std::string> ids;
    for (const auto& base : from_images(*text)) {
        auto have = e.call("GET", "/images/" + url_encode(base) + "/json", std::nullopt, std::chrono::seconds(30));
        if (!have) return have.error();
        if (have->status == 404)
            return make_error(errc::not_found, recipe.recipe + " starts FROM " + base +
                                                   ", which is not on the daemon (bottle-run never pulls). Make a Debian base image "
                                                   "locally: scripts/debian-base-image.sh " + base +
                                                   " (debootstrap + docker import; installed as share/bot-bottle/debian-base-image.sh), "
                                                   "or docker load/import one");
        if (have->status != 200) return make_error(errc::io_error, "docker: image " + base + ": " + daemon_message(have->body));
        boost::system::error_code ec;
        auto v = json::parse(have->body, ec);
        const auto* id = !ec && v.is_object() ? v.get_object().if_contains("Id") : nullptr;
        if (!id || !id->is_string()) return make_error(errc::parse_error, "docker: image " + base + ": no Id in the daemon's reply");
        ids.emplace_back(id->get_string());
    }
    const auto name = fs::path(recipe.dockerfile).filename().string();
    auto tar = context_tar(recipe.context, name);
    if (!tar) return tar.error();
    const auto who = identity_of(*tar, name, ids);
    if (dry_run) return who.tag;
    auto have = e.call("GET", "/images/" + url_encode(who.tag) + "/json", std::nullopt, std::chrono::seconds(30));
    if (!have) return have.error();
    if (have->status == 200) return who.tag;  // built before from the same inputs

    progress << "bottle-run: docker: building the agent image " << who.tag << " from " << recipe.recipe << '\n' << std::flush;
    const json::object labels{{label_role, agent_image_role}, {label_recipe, recipe.label}, {label_inputs, who.inputs}};
    const std::string target = "/build?t=" + url_encode(who.tag) + "&dockerfile=" + url_encode(name) +
                               "&labels=" + url_encode(json::serialize(labels)) + "&pull=0&rm=1&forcerm=1&q=0";
    std::string failure;
    std::size_t shown = 0;
    auto r = e.call_streaming("POST", target, *tar, "application/x-tar", std::chrono::minutes(30), [&](const std::string& body) {
        for (auto nl = body.find('\n', shown); nl != std::string::npos; nl = body.find('\n', shown)) {
            image_detail::build_line(body.substr(shown, nl - shown), progress, failure);
            shown = nl + 1;
        }
    });
    if (!r) return r.error();
    if (shown < r->body.size()) image_detail::build_line(r->body.substr(shown), progress, failure);
    if (r->status != 200) return make_error(errc::io_error, "building " + who.tag + " from " + recipe.recipe + " failed: " + daemon_message(r->body));
    if (!failure.empty()) return make_error(errc::io_error, "building " + who.tag + " from " + recipe.recipe + " failed: " + failure);
    return who.tag;
}

result<std::string> agent_image_for(const image_recipe& recipe, const std::map<std::string, std::string>& env, bool dry_run,
                                    std::ostream& progress) {
    auto host = env.find("DOCKER_HOST");
    auto ep = endpoint_from(host == env.end() ? std::nullopt : std::optional<std::string>(host->second));
    if (!ep) return ep.error();
    const engine e(*ep);
    if (dry_run) {
        auto ping = e.call("GET", "/_ping", std::nullopt, std::chrono::seconds(5));
        if (!ping) return "<built at launch from " + recipe.recipe + ">";
    }
    return ensure_agent_image(e, recipe, dry_run, progress);
}

result<int> collect_agent_images(const engine& e, std::ostream& out) {
    const std::string filters = json::serialize(json::object{{"label", json::array{std::string(label_role) + "=" + agent_image_role}}});
    auto list = e.call_json("GET", "/images/json?filters=" + url_encode(filters), std::nullopt, std::chrono::seconds(30));
    if (!list) return list.error();
    // recipe -> (created, id, tags), newest first after sorting
    std::map<std::string, std::vector<std::tuple<long long, std::string, std::string>>> by_recipe;
    for (const auto& img : list->as_array()) {
        const auto& o = img.as_object();
        std::string recipe, tag;
        if (const auto* l = o.if_contains("Labels"); l && l->is_object())
            if (const auto* r = l->get_object().if_contains(label_recipe); r && r->is_string()) recipe = std::string(r->get_string());
        if (const auto* t = o.if_contains("RepoTags"); t && t->is_array() && !t->get_array().empty() && t->get_array()[0].is_string())
            tag = std::string(t->get_array()[0].get_string());
        const auto* created = o.if_contains("Created");
        by_recipe[recipe].emplace_back(created && created->is_int64() ? created->get_int64() : 0, std::string(o.at("Id").as_string()), tag);
    }
    int removed = 0;
    for (auto& [recipe, images] : by_recipe) {
        std::sort(images.begin(), images.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
        for (std::size_t i = 1; i < images.size(); ++i) {
            const auto& [created, id, tag] = images[i];
            (void)created;
            auto r = e.call("DELETE", "/images/" + url_encode(tag.empty() ? id : tag), std::nullopt, std::chrono::seconds(60));
            if (r && r->status == 200) {
                out << "removed agent image " << (tag.empty() ? id : tag) << " (" << recipe << ", superseded by a newer build)\n";
                ++removed;
            }
        }
    }
    return removed;
}

}  // namespace bottle::run::docker
