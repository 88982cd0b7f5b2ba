#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"

#include "bottle/os/file.hpp"

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace bottle::run::sidecar {

bool is_static_elf(const std::string& elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 || elf[EI_CLASS] != ELFCLASS64) return false;
    Elf64_Ehdr eh;
    std::memcpy(&eh, elf.data(), sizeof eh);
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return false;
    if (eh.e_phentsize != sizeof(Elf64_Phdr)) return false;
    bool has_load = false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        const std::size_t off = eh.e_phoff + i * sizeof(Elf64_Phdr);
        if (off + sizeof(Elf64_Phdr) > elf.size()) return false;
        Elf64_Phdr ph;
        std::memcpy(&ph, elf.data() + off, sizeof ph);
        if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
            // static-pie has PT_DYNAMIC but no interpreter; a dynamic program has both.
            if (ph.p_type == PT_INTERP) return false;
        }
        if (ph.p_type == PT_LOAD) has_load = true;
    }
    return has_load;
}

result<std::string> find_static_egress(const std::map<std::string, std::string>& env) {
    std::vector<std::string> tried;
    if (auto it = env.find("BOTTLE_EGRESS_STATIC"); it != env.end() && !it->second.empty()) tried.push_back(it->second);
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec) {
        tried.push_back((self / "bottle-egress-static").string());
        tried.push_back((self.parent_path() / "bottle-egress" / "bottle-egress-static").string());
    }
    for (const auto& t : tried) {
        if (::access(t.c_str(), R_OK) != 0) continue;
        auto head = os::read_file(t, 64 << 20);
        if (!head) return head.error();
        if (!is_static_elf(*head))
            return make_error(errc::invalid_argument, t + " is not a statically linked program: the sidecar image has no libraries");
        return t;
    }
    std::string where;
    for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
    return make_error(errc::not_found, "bottle-egress-static not found (looked at " + where +
                                           "); build it: cmake -DBOTTLE_STATIC_EGRESS=ON ... && cmake --build ... --target "
                                           "bottle-egress-static, or set BOTTLE_EGRESS_STATIC");
}

std::string sidecar_rootfs_tar(const std::string& egress_binary) {
    tar_writer t;
    t.directory("etc", 0755);
    t.file("etc/passwd", "nobody:x:65534:65534:nobody:/nonexistent:/bottle-egress\n", 0644);
    t.file("etc/group", "nogroup:x:65534:\n", 0644);
    t.file("etc/hosts", "", 0644);        // docker mounts its own over these
    t.file("etc/resolv.conf", "", 0644);
    t.directory("tmp", 01777);
    t.file(std::string(sidecar_proxy_path).substr(1), egress_binary, 0755);
    return std::move(t).finish();
}

std::string sidecar_image_tag(const std::string& egress_binary) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64: identifies a build, not a security boundary
    for (unsigned char c : egress_binary) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string(sidecar_image_repo) + ":" + hex;
}

// --- ustar --------------------------------------------------------------------

void tar_writer::header(const std::string& path, char type, std::size_t size, unsigned mode, unsigned uid, unsigned gid,
                        const std::string& link) {
    char h[512] = {};
    // A field of `len` bytes: len-1 octal digits, zero padded, then NUL.
    auto octal = [&](std::size_t off, std::size_t len, unsigned long long v) {
        for (std::size_t i = len - 1; i-- > 0; v >>= 3) h[off + i] = static_cast<char>('0' + (v & 7));
        h[off + len - 1] = '\0';
    };
    std::string name = path, prefix;
    if (name.size() > 100) {  // ustar splits long names at a slash into prefix (155) + name (100)
        const auto cut = name.rfind('/', 155);
        if (cut != std::string::npos && name.size() - cut - 1 <= 100) {
            prefix = name.substr(0, cut);
            name = name.substr(cut + 1);
        }
    }
    std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 100));
    octal(100, 8, mode);
    octal(108, 8, uid);
    octal(116, 8, gid);
    octal(124, 12, size);
    octal(136, 12, 0);  // mtime 0: the same binary gives the same archive
    std::memset(h + 148, ' ', 8);
    h[156] = type;
    std::memcpy(h + 157, link.data(), std::min<std::size_t>(link.size(), 100));
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memcpy(h + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    octal(148, 7, sum);  // six digits, NUL, then the space already there
    h[155] = ' ';
    out_.append(h, sizeof h);
}

void tar_writer::directory(const std::string& path, unsigned mode) { header(path + "/", '5', 0, mode, 0, 0, ""); }

void tar_writer::file(const std::string& path, const std::string& content, unsigned mode, unsigned uid, unsigned gid) {
    header(path, '0', content.size(), mode, uid, gid, "");
    out_ += content;
    out_.append((512 - content.size() % 512) % 512, '\0');
}

void tar_writer::symlink(const std::string& path, const std::string& target) { header(path, '2', 0, 0777, 0, 0, target); }

std::string tar_writer::finish() && {
    out_.append(1024, '\0');
    return std::move(out_);
}

}  // namespace bottle::run::sidecar
