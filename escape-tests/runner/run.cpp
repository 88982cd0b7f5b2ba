// The spine of one run: prepare -> build the lab -> run the lab host ->
// collect the truth -> score. Each step is its own file (prepare.cpp,
// lab_session.cpp, truth.cpp, score.hpp); a failing step ends the run with
// its error, and the lab_session's destructor takes down whatever was built.
#include "run.hpp"

#include "../lab/plant.hpp"
#include "../lab/system.hpp"
#include "lab_session.hpp"
#include "prepare.hpp"
#include "truth.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace bottle::escape {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> stop_requested{false};

// Prints one line per probe as its report appears (stderr, TTY only).
class progress_printer {
public:
    progress_printer(fs::path probe_log, std::size_t total) : log_(std::move(probe_log)), total_(total) {}
    void operator()() {
        const auto lines = read_probe_lines(log_);
        for (; shown_ < lines.size(); ++shown_)
            std::fprintf(stderr, "  [%zu/%zu] %-32s %s (%ld ms)\n", shown_ + 1, total_, lines[shown_].id.c_str(),
                         std::string(to_string(lines[shown_].status)).c_str(), lines[shown_].duration_ms);
    }

private:
    fs::path log_;
    std::size_t total_;
    std::size_t shown_ = 0;
};

}  // namespace

void request_stop() noexcept { stop_requested = true; }

result<std::vector<probe_meta>> list_probes(const fs::path& probe_binary) {
    const auto r = lab::run_command({probe_binary.string(), "list", "--json"}, 10000);
    if (!r.ok()) return make_error(errc::not_found, "cannot list probes with " + probe_binary.string() + ": " + r.output);
    std::vector<probe_meta> out;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
        if (auto m = protocol::decode_probe_listing(line)) out.push_back(std::move(*m));
    if (out.empty()) return make_error(errc::parse_error, probe_binary.string() + " list --json printed no probes");
    return out;
}

run_result run_sandbox(const run_options& opt) {
    const auto started = std::chrono::steady_clock::now();
    run_result res;
    res.profile = opt.sandbox;
    res.nonce = lab::random_hex(12);
    std::vector<probe_meta> probes;
    auto finish = [&](result<void> completion, const std::vector<probe_report>& reports, const ground_truth& truth) {
        res.completion = std::move(completion);
        res.verdicts = score(probes, reports, truth);
        res.duration_ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
        return res;
    };
    ground_truth no_truth;
    no_truth.nonce = res.nonce;

    // 1. prepare: nothing exists yet.
    auto selected = select_probes(opt.probe_binary, opt.only);
    if (!selected) return finish(selected.error(), {}, no_truth);
    probes = std::move(*selected);
    auto prepared = prepare_run(opt, res);
    if (!prepared) return finish(prepared.error(), {}, no_truth);

    // 2. build the lab: run directory, secrets, network, world sinks.
    lab_session session(prepared->paths, res.nonce.substr(0, 8), opt.keep);
    auto tokens = session.build(*prepared);
    if (!tokens) return finish(tokens.error(), {}, no_truth);

    // 3. run the lab host, which runs the sandbox.
    // A filesystem without file handles leaves fs.open_by_handle without a
    // target; the machine facts then say so (open_by_handle=no).
    const auto handle = lab::handle_of_target(prepared->paths);
    const auto plan =
        make_host_plan(*prepared, *tokens, probes.size(), handle ? *handle : std::string(), session.user());
    res.run_as = plan.run_as ? std::string(lab::lab_user_name) : "root";
    res.uid = plan.run_as ? static_cast<long>(plan.run_as->uid) : 0;
    progress_printer progress(prepared->paths.logs() / "probe.jsonl", probes.size());
    const auto hosted = session.run_host(plan, opt.progress ? std::function<void()>(std::ref(progress)) : nullptr, stop_requested);
    session.stop_world();

    // 4. collect the truth, then take the lab down.
    auto c = collect_truth(session.paths(), res.nonce, std::move(*tokens));
    session.teardown();
    result<void> completion;
    if (!hosted) completion = hosted.error();
    else if (c.host_error) completion = *c.host_error;
    else if (!c.missing_heartbeats.empty()) {
        std::string which;
        for (const auto& m : c.missing_heartbeats) which += (which.empty() ? "" : ", ") + m;
        completion = make_error(errc::io_error, "a lab sink did not record its heartbeat (evidence could have been lost): " + which);
    }
    else if (c.reports.empty())
        completion = make_error(errc::not_found, "the sandbox ran no probe; its stderr: " + c.sandbox_stderr);
    return finish(std::move(completion), c.reports, c.truth);
}

}  // namespace bottle::escape
