// tools/bottle-run/backends/docker/stream.hpp — the attach stream of a
// container without a terminal.
//
// Without a tty the daemon multiplexes stdout and stderr on one stream:
// frames of an 8-byte header {stream, 0, 0, 0, size as 32-bit big endian}
// then `size` bytes. Frames arrive split anywhere by the socket, so the
// demuxer keeps what it has of a header or payload between feeds. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bottle::run::docker {

class frame_demuxer {
public:
    /// Feeds bytes; calls sink(stream, payload) for each complete piece of a
    /// frame's payload (stream 1 stdout, 2 stderr; 0 stdin echo). Payload is
    /// delivered as it arrives, not held until the frame is whole.
    template <class Sink>
    void feed(std::string_view bytes, Sink&& sink) {
        while (!bytes.empty()) {
            if (left_ == 0) {
                const std::size_t take = std::min<std::size_t>(8 - have_, bytes.size());
                header_.append(bytes.substr(0, take));
                have_ += take;
                bytes.remove_prefix(take);
                if (have_ < 8) return;
                stream_ = static_cast<unsigned char>(header_[0]);
                left_ = (std::uint32_t{static_cast<unsigned char>(header_[4])} << 24) | (std::uint32_t{static_cast<unsigned char>(header_[5])} << 16) |
                        (std::uint32_t{static_cast<unsigned char>(header_[6])} << 8) | std::uint32_t{static_cast<unsigned char>(header_[7])};
                header_.clear();
                have_ = 0;
                continue;
            }
            const std::size_t take = std::min<std::size_t>(left_, bytes.size());
            sink(stream_, bytes.substr(0, take));
            left_ -= static_cast<std::uint32_t>(take);
            bytes.remove_prefix(take);
        }
    }

private:
    std::string header_{};
    std::size_t have_ = 0;
    std::uint32_t left_ = 0;
    unsigned stream_ = 0;
};

}  // namespace bottle::run::docker
