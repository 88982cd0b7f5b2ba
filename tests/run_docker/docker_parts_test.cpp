// The docker backend's pure parts: the attach-stream demuxer, the sidecar
// bundle (tar, tag, static check) and gc's launcher test.
#include "bottle-run/backends/docker/explain.hpp"
#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/stream.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"

#include "bottle/os/file.hpp"
#include "bottle/os/spawn.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

namespace {

using namespace bottle::run;

std::string frame(unsigned stream, const std::string& payload) {
    std::string h(8, '\0');
    h[0] = static_cast<char>(stream);
    const auto n = static_cast<std::uint32_t>(payload.size());
    h[4] = static_cast<char>(n >> 24);
    h[5] = static_cast<char>(n >> 16);
    h[6] = static_cast<char>(n >> 8);
    h[7] = static_cast<char>(n);
    return h + payload;
}

TEST(DockerStream, FramesSplitAnywhereComeOutWhole) {
    const std::string wire = frame(1, "hello ") + frame(2, "oops") + frame(1, "") + frame(1, std::string(70000, 'x'));
    for (std::size_t chunk : {1u, 3u, 7u, 8u, 9u, 4096u, 100000u}) {
        docker::frame_demuxer d;
        std::string out, err;
        for (std::size_t off = 0; off < wire.size(); off += chunk)
            d.feed(std::string_view(wire).substr(off, chunk), [&](unsigned s, std::string_view data) { (s == 2 ? err : out).append(data); });
        EXPECT_EQ(out, "hello " + std::string(70000, 'x')) << "chunk " << chunk;
        EXPECT_EQ(err, "oops") << "chunk " << chunk;
    }
}

TEST(SidecarBundle, TarIsReadableByTarAndHoldsTheProxy) {
    const std::string binary = "\x7f" "ELF fake proxy bytes";
    const auto tar = sidecar::sidecar_rootfs_tar(binary);
    ASSERT_EQ(tar.size() % 512, 0u);
    const auto dir = std::filesystem::temp_directory_path() / ("bb-tar-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(bottle::os::write_file((dir / "b.tar").string(), tar, 0600));
    bottle::os::spawn_request r;
    r.argv = {"tar", "-tvf", (dir / "b.tar").string()};
    auto listed = bottle::os::spawn(r);
    ASSERT_TRUE(listed) << listed.error().message;
    EXPECT_TRUE(listed->succeeded()) << listed->err;
    EXPECT_NE(listed->out.find("bottle-egress"), std::string::npos) << listed->out;
    EXPECT_NE(listed->out.find("etc/passwd"), std::string::npos);
    EXPECT_NE(listed->out.find("drwxrwxrwt"), std::string::npos);  // sticky /tmp
    r.argv = {"tar", "-xOf", (dir / "b.tar").string(), "bottle-egress"};
    auto content = bottle::os::spawn(r);
    ASSERT_TRUE(content);
    EXPECT_EQ(content->out, binary);
    std::filesystem::remove_all(dir);
}

TEST(SidecarBundle, TagFollowsTheBinary) {
    EXPECT_EQ(sidecar::sidecar_image_tag("a"), sidecar::sidecar_image_tag("a"));
    EXPECT_NE(sidecar::sidecar_image_tag("a"), sidecar::sidecar_image_tag("b"));
    EXPECT_EQ(sidecar::sidecar_image_tag("a").rfind("bot-bottle/egress:", 0), 0u);
    EXPECT_EQ(sidecar::sidecar_image_tag("a").size(), std::string("bot-bottle/egress:").size() + 16);
}

TEST(SidecarBundle, DynamicProgramsAreNotStatic) {
    auto sh = bottle::os::read_file("/bin/sh", 64 << 20);  // dynamically linked on every distribution we build on
    ASSERT_TRUE(sh);
    EXPECT_FALSE(sidecar::is_static_elf(*sh));
    EXPECT_FALSE(sidecar::is_static_elf("not an elf"));
    const std::string built = BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static";
    if (!std::filesystem::exists(built)) GTEST_SKIP() << "bottle-egress-static is not built (BOTTLE_STATIC_EGRESS=OFF)";
    auto st = bottle::os::read_file(built, 256 << 20);
    ASSERT_TRUE(st);
    EXPECT_TRUE(sidecar::is_static_elf(*st));
}

TEST(DockerExplain, GvisorLineSaysWhichRuntimeBottlesGet) {
    auto on = docker::gvisor_protection(boost::json::parse(R"({"Runtimes":{"runc":{},"runsc":{"path":"/usr/bin/runsc"}}})"), "unix:///d.sock");
    EXPECT_EQ(on.name, "docker-gvisor");
    EXPECT_EQ(on.status, "active");
    EXPECT_TRUE(on.remedy.empty());
    auto off = docker::gvisor_protection(boost::json::parse(R"({"Runtimes":{"runc":{}}})"), "unix:///d.sock");
    EXPECT_EQ(off.status, "missing");
    EXPECT_NE(off.why.find("unix:///d.sock"), std::string::npos);
    EXPECT_NE(off.remedy.find("runsc"), std::string::npos);
}

TEST(DockerGc, LauncherGoneOnlyWhenItReallyIs) {
    auto alive = [](int pid) { return pid == 4242; };
    EXPECT_FALSE(docker::launcher_gone("boot-1/4242", "boot-1", alive));
    EXPECT_TRUE(docker::launcher_gone("boot-1/4243", "boot-1", alive));
    EXPECT_TRUE(docker::launcher_gone("boot-0/4242", "boot-1", alive));  // another boot: long gone
    EXPECT_TRUE(docker::launcher_gone("garbage", "boot-1", alive));
    EXPECT_TRUE(docker::launcher_gone("boot-1/1", "boot-1", alive));
    EXPECT_TRUE(docker::launcher_gone("boot-1/12x", "boot-1", alive));
}

TEST(DockerDryRun, PlansWithoutADaemonAndStartsNothing) {
    const std::string bin = BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run";
    if (!std::filesystem::exists(bin)) GTEST_SKIP() << "bottle-run is not built";
    bottle::os::spawn_request r;
    r.argv = {bin, "--backend", "docker", "--image", "agent:dev", "--dry-run", "--", "true"};
    r.env = std::vector<std::string>{"DOCKER_HOST=unix:///nonexistent/docker.sock", "PATH=/usr/bin:/bin", "HOME=/nonexistent"};
    auto o = bottle::os::spawn(r);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->exit_code, 0) << o->err;
    EXPECT_NE(o->out.find("\"backend\":\"docker\""), std::string::npos) << o->out;
    EXPECT_NE(o->out.find("\"NetworkMode\":\"none\""), std::string::npos) << o->out;
    EXPECT_NE(o->out.find("chosen at launch"), std::string::npos) << o->out;
    r.argv = {bin, "--backend", "docker", "--dry-run", "--", "true"};  // no image: refused first
    o = bottle::os::spawn(r);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->exit_code, 125);
    EXPECT_NE(o->err.find("--image"), std::string::npos) << o->err;
}

}  // namespace
