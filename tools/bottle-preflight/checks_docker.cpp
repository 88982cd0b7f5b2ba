#include "bottle-preflight/checks_docker.hpp"

namespace bottle::preflight {

check_result check_docker_cli(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("docker.cli", docker_category, "docker CLI", s, std::move(found), std::move(remedy));
    };
    const std::string install = "install Docker Engine: https://docs.docker.com/engine/install/ (or sudo apt-get install docker.io)";
    const auto path = p.find_in_path("docker");
    if (!path) return make(check_status::fail, "docker is not on PATH", install);
    const auto run = run_version(p, *path);
    if (!run.failure.empty()) return make(check_status::fail, run.failure, install);
    return make(check_status::ok, *path + " (" + first_line(run.output) + ")");
}

docker_endpoint resolve_docker_endpoint(system_probes& p) {
    const auto host = p.getenv("DOCKER_HOST");
    if (!host || host->empty()) return {"/var/run/docker.sock", "unix:///var/run/docker.sock"};
    const std::string prefix = "unix://";
    if (host->rfind(prefix, 0) == 0 && host->size() > prefix.size() && (*host)[prefix.size()] == '/')
        return {host->substr(prefix.size()), *host};
    return {"", *host};
}

check_result check_docker_daemon(system_probes& p, const docker_endpoint& at) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("docker.daemon", docker_category, "docker daemon", s, std::move(found), std::move(remedy));
    };
    if (at.socket_path.empty())
        return make(check_status::warn,
                    "DOCKER_HOST=" + at.described + " is not a local unix socket; preflight only contacts local sockets, "
                    "so the daemon was not checked",
                    "unset DOCKER_HOST to use the local daemon, or check the remote one yourself: docker version");
    const std::string start = "start the daemon: sudo systemctl start docker (or sudo dockerd &)";
    auto reply = p.unix_http_get(at.socket_path, "/_ping", docker_api_timeout);
    if (!reply) {
        const auto& e = reply.error();
        if (failed_with(reply, errc::not_found))
            return make(check_status::fail, "no socket at " + at.socket_path + ": the daemon is not running", start);
        if (failed_with(reply, errc::permission_denied))
            return make(check_status::fail, "permission denied on " + at.socket_path,
                        "sudo usermod -aG docker $USER and log in again (the docker group is root-equivalent), "
                        "or use rootless Docker and DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock");
        if (failed_with(reply, errc::timeout))
            return make(check_status::fail, at.described + " did not answer /_ping within 3 s",
                        "check the daemon: sudo systemctl status docker; sudo journalctl -u docker");
        return make(check_status::fail, e.message, start);
    }
    if (reply->status != 200)
        return make(check_status::fail, at.described + " answered /_ping with HTTP " + std::to_string(reply->status),
                    "check the daemon: sudo systemctl status docker; sudo journalctl -u docker");
    return make(check_status::ok, "daemon at " + at.described + " answered /_ping");
}

check_result check_docker_runsc(system_probes& p, const docker_endpoint& at, bool daemon_ok) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("docker.runsc", docker_category, "gVisor runtime", s, std::move(found), std::move(remedy));
    };
    const std::string install = "install gVisor and register it with Docker: sudo runsc install && sudo systemctl restart docker "
                                "(https://gvisor.dev/docs/user_guide/install/)";
    if (!daemon_ok)
        return make(check_status::warn, "not checked: the daemon is not reachable (see docker.daemon)",
                    "fix docker.daemon, then run bottle-preflight --backend docker again");
    auto reply = p.unix_http_get(at.socket_path, "/info", docker_api_timeout);
    if (!reply) return make(check_status::warn, "cannot list runtimes: " + reply.error().message, install);
    if (reply->status != 200)
        return make(check_status::warn, "cannot list runtimes: GET /info answered HTTP " + std::to_string(reply->status), install);
    boost::system::error_code ec;
    const boost::json::value info = boost::json::parse(reply->body, ec);
    const auto* obj = ec ? nullptr : info.if_object();
    const auto* runtimes = obj ? obj->if_contains("Runtimes") : nullptr;
    if (!runtimes || !runtimes->is_object())
        return make(check_status::warn, "cannot list runtimes: GET /info has no \"Runtimes\" object", install);
    std::string names;
    bool has_runsc = false;
    for (const auto& kv : runtimes->get_object()) {
        if (!names.empty()) names += ", ";
        names += std::string(kv.key());
        has_runsc = has_runsc || kv.key() == "runsc";
    }
    if (has_runsc) return make(check_status::ok, "runtimes: " + names + "; bottles will use runsc (gVisor)");
    return make(check_status::warn,
                "runtimes: " + (names.empty() ? std::string("none listed") : names) +
                    "; bottles will use runc (no gVisor: containers share the host kernel)",
                install);
}

std::vector<check_result> docker_checks(system_probes& p) {
    const auto at = resolve_docker_endpoint(p);
    auto cli = check_docker_cli(p);
    auto daemon = check_docker_daemon(p, at);
    const bool daemon_ok = daemon.status == check_status::ok;
    return {std::move(cli), std::move(daemon), check_docker_runsc(p, at, daemon_ok)};
}

}  // namespace bottle::preflight
