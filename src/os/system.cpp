// src/os/system.cpp
#include "bottle/os/system.hpp"

namespace bottle::os {

result<spawn_output> real_system::spawn(const spawn_request& request) { return os::spawn(request); }

result<std::string> real_system::read_file(const std::string& path, std::size_t max_bytes) {
    return os::read_file(path, max_bytes);
}

result<void> real_system::write_file(const std::string& path, std::string_view data, mode_t mode) {
    return os::write_file(path, data, mode);
}

result<void> real_system::enter_netns(const std::string& path) { return os::enter_netns(path); }

result<void> real_system::send_fds(int socket, std::span<const int> fds, std::string_view payload) {
    return os::send_fds(socket, fds, payload);
}

result<received_fds> real_system::receive_fds(int socket, std::size_t max_fds, std::size_t max_payload) {
    return os::receive_fds(socket, max_fds, max_payload);
}

result<void> real_system::kill_group(int pgid, int sig) { return os::kill_group(pgid, sig); }

system& real() {
    static real_system instance;
    return instance;
}

}  // namespace bottle::os
