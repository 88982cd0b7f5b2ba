// bottle/net/detail/alias_directory.hpp — a file-backed in-use source and
// recorder for loopback_pool: one file per alias, named after the alias
// ("127.0.0.16"), holding the holder's name and a newline. Exposed as
// bottle::net::alias_directory.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/net/detail/strict_text.hpp"
#include "bottle/result.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <filesystem>
#include <system_error>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace bottle::net::detail {

/// One alias and who holds it.
struct holding {
    address_v4 alias;
    std::string holder;
    friend bool operator==(const holding&, const holding&) = default;
};

/// Holder names: 1..64 bytes of [A-Za-z0-9._-], not starting with '.'.
inline result<void> valid_holder(std::string_view holder) {
    if (holder.empty() || holder.size() > 64 || holder[0] == '.')
        return make_error(errc::invalid_argument, "holder name " + quote(holder) +
                                                      " must be 1..64 bytes of [A-Za-z0-9._-], not starting with '.'");
    for (char c : holder)
        if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '.' && c != '_' && c != '-')
            return make_error(errc::invalid_argument,
                              "holder name " + quote(holder) + " must be 1..64 bytes of [A-Za-z0-9._-]");
    return {};
}

/// A directory of `<alias>` files. Fail closed: an entry it cannot read or
/// interpret is an error, never "free". Names starting with '.' (temporary
/// files) are ignored. Not locked by itself: use it under loopback_pool.
class alias_directory {
public:
    /// Opens `dir`, creating it (0700) if missing. Errors: io_error.
    [[nodiscard]] static result<alias_directory> open(std::string dir) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec || !std::filesystem::is_directory(dir, ec))
            return make_error(errc::io_error, "cannot create alias directory " + dir + ": " + ec.message());
        return alias_directory(std::move(dir));
    }

    [[nodiscard]] const std::string& path() const noexcept { return dir_; }

    /// Every alias file. Errors: io_error (unreadable directory or file),
    /// parse_error (a name that is not a strict IPv4 address, or content that
    /// is not a holder name).
    [[nodiscard]] result<std::vector<holding>> in_use() const {
        DIR* d = ::opendir(dir_.c_str());
        if (d == nullptr)
            return make_error(errc::io_error, "cannot read alias directory " + dir_ + ": " + std::strerror(errno));
        std::vector<std::string> names;
        errno = 0;
        while (const dirent* e = ::readdir(d)) {
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        }
        const int read_errno = errno;
        ::closedir(d);
        if (read_errno != 0)
            return make_error(errc::io_error, "cannot list alias directory " + dir_ + ": " + std::strerror(read_errno));
        std::vector<holding> out;
        for (const std::string& name : names) {
            auto a = parse_address(name);
            if (!a || !a->is_v4())
                return make_error(errc::parse_error, "alias directory " + dir_ + " has an entry " + quote(name) +
                                                         " that is not an IPv4 address; remove it");
            auto holder = read_holder(dir_ + "/" + name);
            if (!holder) return holder.error();
            out.push_back({a->to_v4(), std::move(*holder)});
        }
        return out;
    }

    /// Writes `<alias>` atomically (temporary file + rename). Errors: io_error.
    [[nodiscard]] result<void> record(const holding& h) {
        const std::string final_path = dir_ + "/" + h.alias.to_string();
        const std::string tmp = dir_ + "/." + h.alias.to_string() + "." + std::to_string(::getpid()) + ".tmp";
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) return make_error(errc::io_error, "cannot create " + tmp + ": " + std::strerror(errno));
        const std::string content = h.holder + "\n";
        const auto written = ::write(fd, content.data(), content.size());
        const int write_errno = errno;
        ::close(fd);
        if (written != static_cast<ssize_t>(content.size()) || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
            const int err = written < 0 ? write_errno : errno;
            ::unlink(tmp.c_str());
            return make_error(errc::io_error, "cannot record " + final_path + ": " + std::strerror(err));
        }
        return {};
    }

    /// Removes `<alias>` if `h.holder` holds it. Errors: not_found (no such
    /// file), conflict (someone else holds it), io_error.
    [[nodiscard]] result<void> release(const holding& h) {
        const std::string path = dir_ + "/" + h.alias.to_string();
        auto holder = read_holder(path);
        if (!holder) return holder.error();
        if (*holder != h.holder)
            return make_error(errc::conflict, h.alias.to_string() + " is held by " + *holder + ", not " + h.holder);
        if (::unlink(path.c_str()) != 0)
            return make_error(errc::io_error, "cannot remove " + path + ": " + std::strerror(errno));
        return {};
    }

private:
    explicit alias_directory(std::string dir) : dir_(std::move(dir)) {}

    static result<std::string> read_holder(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            const int err = errno;
            return make_error(err == ENOENT ? errc::not_found : errc::io_error,
                              "cannot read alias file " + path + ": " + std::strerror(err));
        }
        char buf[80];  // a holder is at most 64 bytes plus a newline
        std::size_t len = 0;
        while (len < sizeof buf) {
            const auto n = ::read(fd, buf + len, sizeof buf - len);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                ::close(fd);
                return make_error(errc::io_error, "cannot read alias file " + path + ": " + std::strerror(err));
            }
            if (n == 0) break;
            len += static_cast<std::size_t>(n);
        }
        ::close(fd);
        std::string_view text(buf, len);
        if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        if (!valid_holder(text))
            return make_error(errc::parse_error, "alias file " + path + " does not hold a holder name (" +
                                                     quote(text) + "); remove it if its bottle is gone");
        return std::string(text);
    }

    std::string dir_;
};

}  // namespace bottle::net::detail
