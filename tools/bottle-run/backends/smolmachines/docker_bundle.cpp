#include "bottle-run/backends/smolmachines/docker_bundle.hpp"

#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/docker/stream.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"

#include "bottle/os/file.hpp"

#include <boost/json.hpp>

#include <thread>

namespace bottle::run::smolmachines {

namespace json = boost::json;

std::string bundle_container_name(const std::string& bottle_id) { return "bb-" + bottle_id + "-bundle"; }

json::object bundle_container_body(const docker_bundle_spec& s, const net::address_v4& alias, std::uint16_t port,
                                   const egress_routes& routes) {
    const std::string p = std::to_string(port);
    json::array cmd{sidecar::sidecar_proxy_path, "--listen", "0.0.0.0:" + p, "--bottle-id", s.bottle_id};
    for (const auto& a : routes.arguments()) cmd.emplace_back(a);
    // Published on the alias only: never 0.0.0.0, never 127.0.0.1.
    json::object bindings{{p + "/tcp", json::array{json::object{{"HostIp", alias.to_string()}, {"HostPort", p}}}}};
    json::object host{{"ReadonlyRootfs", true},
                      {"CapDrop", json::array{"ALL"}},
                      {"SecurityOpt", json::array{"no-new-privileges:true"}},
                      {"Privileged", false},
                      {"IpcMode", "private"},
                      {"PublishAllPorts", false},
                      {"PortBindings", std::move(bindings)},
                      {"NetworkMode", "bridge"},
                      {"PidsLimit", 512},
                      {"Memory", 256ll << 20},
                      {"MemorySwap", 256ll << 20},
                      {"Tmpfs", json::object{{"/tmp", "rw,nosuid,nodev,noexec,size=16m"}}},
                      {"LogConfig", json::object{{"Type", "json-file"}, {"Config", json::object{{"max-size", "1m"}}}}}};
    return json::object{{"Image", s.image},
                        {"Cmd", std::move(cmd)},
                        {"Entrypoint", json::array{}},
                        {"Env", json::array{}},
                        {"User", std::to_string(sidecar::sidecar_uid) + ":" + std::to_string(sidecar::sidecar_uid)},
                        {"Hostname", "egress"},
                        {"ExposedPorts", json::object{{p + "/tcp", json::object{}}}},
                        {"Labels", json::object{{docker::label_id, s.bottle_id},
                                                {docker::label_role, "egress"},
                                                {docker::label_launcher, s.launcher},
                                                {docker::label_bottle, s.bottle_name}}},
                        {"HostConfig", std::move(host)}};
}

result<void> docker_bundle::start(const net::address_v4& alias, std::uint16_t port, const egress_routes& routes) {
    auto bytes = os::read_file(binary_, 256 << 20);
    if (!bytes) return bytes.error();
    spec_.image = sidecar::sidecar_image_tag(*bytes);
    // The image: imported once from the static proxy, never pulled.
    auto have = engine_.call("GET", "/images/" + spec_.image + "/json", std::nullopt, std::chrono::seconds(30));
    if (!have) return have.error();
    if (have->status != 200) {
        const auto colon = spec_.image.rfind(':');
        auto r = engine_.call("POST",
                              "/images/create?fromSrc=-&repo=" + docker::url_encode(spec_.image.substr(0, colon)) +
                                  "&tag=" + docker::url_encode(spec_.image.substr(colon + 1)),
                              sidecar::sidecar_rootfs_tar(*bytes), std::chrono::seconds(120), "application/x-tar");
        if (!r) return r.error();
        if (r->status != 200 || r->body.find("\"error") != std::string::npos)
            return make_error(errc::io_error, "bundle: importing " + spec_.image + " failed: " + docker::daemon_message(r->body));
    }
    const std::string name = bundle_container_name(spec_.bottle_id);
    auto made = engine_.call_json("POST", "/containers/create?name=" + docker::url_encode(name),
                                  json::serialize(bundle_container_body(spec_, alias, port, routes)));
    if (!made) return error{made.error().code, "bundle: creating container " + name + ": " + made.error().message};
    created_ = true;
    if (auto s = engine_.call_json("POST", "/containers/" + name + "/start"); !s) {
        stop();
        return error{s.error().code, "bundle: starting " + name + " on " + alias.to_string() + ":" + std::to_string(port) + ": " +
                                         s.error().message};
    }
    // Ready when bottle-egress printed its ready line (stdout, read from the log).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
        auto logs = engine_.call("GET", "/containers/" + name + "/logs?stdout=1", std::nullopt, std::chrono::seconds(10));
        if (logs && logs->status == 200) {
            std::string out;
            docker::frame_demuxer demux;
            demux.feed(logs->body, [&](unsigned stream, std::string_view data) {
                if (stream == 1) out.append(data);
            });
            if (out.find("{\"listening\"") != std::string::npos) return {};
        }
        auto state = engine_.call_json("GET", "/containers/" + name + "/json");
        if (state && state->is_object()) {
            const auto* st = state->as_object().if_contains("State");
            if (st && st->is_object() && st->as_object().if_contains("Running") && !st->as_object().at("Running").as_bool()) {
                stop();
                return make_error(errc::io_error, "bundle: the sidecar's bottle-egress exited before it was ready (docker logs " + name + ")");
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            stop();
            return make_error(errc::timeout, "bundle: the sidecar's bottle-egress did not get ready in 15 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void docker_bundle::stop() noexcept {
    if (!created_) return;
    try {
        (void)engine_.call("DELETE", "/containers/" + bundle_container_name(spec_.bottle_id) + "?force=1&v=1", std::nullopt,
                           std::chrono::seconds(30));
    } catch (...) {
    }
    created_ = false;
}

}  // namespace bottle::run::smolmachines
