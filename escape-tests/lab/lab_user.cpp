#include "lab_user.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

namespace bottle::escape::lab {

namespace fs = std::filesystem;

namespace {

// The numeric third field of each "name:x:ID:..." line.
std::set<unsigned long> ids_in(std::string_view table) {
    std::set<unsigned long> ids;
    std::istringstream in{std::string(table)};
    for (std::string line; std::getline(in, line);) {
        const auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const auto c = line.find(':', b + 1);
        const std::string field = line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
        if (!field.empty() && field.find_first_not_of("0123456789") == std::string::npos) ids.insert(std::stoul(field));
    }
    return ids;
}

std::string ended(std::string text) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
}

}  // namespace

result<lab_user> choose_lab_user(std::string_view passwd, std::string_view group, uid_t first, unsigned count) {
    const auto uids = ids_in(passwd), gids = ids_in(group);
    for (unsigned i = 0; i < count; ++i) {
        const unsigned long id = first + i;
        if (!uids.count(id) && !gids.count(id)) return lab_user{static_cast<uid_t>(id), static_cast<gid_t>(id)};
    }
    return make_error(errc::exhausted, "no free uid/gid for the lab user in " + std::to_string(first) + ".." +
                                           std::to_string(first + count - 1));
}

std::string passwd_with(std::string passwd, const lab_user& user) {
    return ended(std::move(passwd)) + std::string(lab_user_name) + ":x:" + std::to_string(user.uid) + ":" +
           std::to_string(user.gid) + ":bot-bottle escape lab user:" + std::string(lab_user_home) + ":/bin/sh\n";
}

std::string group_with(std::string group, const lab_user& user) {
    return ended(std::move(group)) + std::string(lab_user_name) + ":x:" + std::to_string(user.gid) + ":\n";
}

result<void> give_to(const fs::path& path, const lab_user& user) {
    auto one = [&](const fs::path& p) -> result<void> {
        if (lchown(p.c_str(), user.uid, user.gid) != 0)
            return make_error(errc::io_error, "chown " + p.string() + ": " + std::strerror(errno));
        return {};
    };
    if (auto r = one(path); !r) return r;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
        if (auto r = one(it->path()); !r) return r;
    if (ec) return make_error(errc::io_error, "walk " + path.string() + ": " + ec.message());
    return {};
}

}  // namespace bottle::escape::lab
