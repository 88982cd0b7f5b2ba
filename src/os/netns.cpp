// src/os/netns.cpp
#include "bottle/os/netns.hpp"

#include "errno_error.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sched.h>

#include <cstdlib>

namespace bottle::os {

result<void> enter_netns(int fd) {
    if (fd < 0) return make_error(errc::invalid_argument, "enter_netns: no descriptor");
    if (::setns(fd, CLONE_NEWNET) != 0) {
        const int e = errno;
        if (e == EINVAL)
            return make_error(errc::invalid_argument, "enter_netns: descriptor " + std::to_string(fd) +
                                                          " is not a network namespace");
        return detail::errno_error("enter_netns: setns", e);
    }
    return {};
}

result<unique_fd> open_netns(const std::string& path) {
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return detail::errno_error("cannot open network namespace " + path, errno);
    // Checked here, not only by setns, so a caller holding the descriptor
    // knows what it holds.
    const int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type != CLONE_NEWNET)
        return make_error(errc::invalid_argument, path + " is not a network namespace");
    return fd;
}

result<void> enter_netns(const std::string& path) {
    auto fd = open_netns(path);
    if (!fd) return fd.error();
    auto entered = enter_netns(fd->get());
    if (!entered) return error{entered.error().code, entered.error().message + " (" + path + ")"};
    return {};
}

result<scoped_netns> scoped_netns::enter(const std::string& path) {
    auto original = open_netns("/proc/thread-self/ns/net");
    if (!original) return original.error();
    if (auto entered = enter_netns(path); !entered) return entered.error();
    return scoped_netns(std::move(*original));
}

scoped_netns::~scoped_netns() {
    if (!original_) return;  // moved from
    if (::setns(original_.get(), CLONE_NEWNET) != 0) std::abort();
}

}  // namespace bottle::os
