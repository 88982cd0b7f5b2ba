#include "lab/dns_wire.hpp"
#include "lab/lab_plan.hpp"
#include "runner/output.hpp"
#include "runner/profile.hpp"

#include <boost/json.hpp>
#include <pugixml.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace {

using namespace bottle::escape;

std::string query_for(const std::string& name, std::uint16_t qtype) {
    std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    lab::dns::detail::put_name(q, name);
    lab::dns::detail::put16(q, qtype);
    lab::dns::detail::put16(q, 1);
    return q;
}

TEST(LabTargets, OnlyLabRangesAreAllowed) {
    for (const char* ok : {"203.0.113.10", "127.0.0.1", "169.254.169.254", "192.168.77.10", "10.200.0.1", "10.200.1.1",
                           "2001:db8:113::10", "fd00:ec2::254", "::1", "::ffff:203.0.113.10"})
        EXPECT_TRUE(lab::is_lab_target(ok)) << ok;
    for (const char* bad : {"8.8.8.8", "1.1.1.1", "10.0.0.1", "192.168.1.1", "172.17.0.1", "172.32.0.1", "10.200.2.1", "2606:4700::1111",
                            "::ffff:8.8.8.8", "fd00:1::1", "not an address", ""})
        EXPECT_FALSE(lab::is_lab_target(bad)) << bad;
}

TEST(DnsWire, AnswersLabNamesAndRefusesOthers) {
    const auto q = lab::dns::parse_query(query_for("Allowed.Lab.Test", 1));
    ASSERT_TRUE(q);
    EXPECT_EQ(q->questions[0].name, "allowed.lab.test");
    const std::string a = lab::dns::answer(*q);
    EXPECT_EQ(a.substr(0, 2), std::string("\x12\x34", 2));
    EXPECT_EQ(static_cast<unsigned char>(a[3]) & 0x0f, 0) << "NOERROR";
    EXPECT_EQ(a.substr(a.size() - 4), std::string("\xcb\x00\x71\x50", 4)) << "203.0.113.80";

    const auto exfil = lab::dns::parse_query(query_for("abc.exfil.lab.test", 28));
    ASSERT_TRUE(exfil);
    EXPECT_EQ(lab::dns::answer(*exfil).size(), exfil->questions[0].name.size() + 2 + 12 + 4 + 12 + 16);

    for (const char* edge : {"lab.test", "evil-allowed.lab.test", "allowed.lab.testx", "x.y.lab.test"}) {
        const auto q2 = lab::dns::parse_query(query_for(edge, 1));
        ASSERT_TRUE(q2) << edge;
        const std::string a2 = lab::dns::answer(*q2);
        EXPECT_EQ(a2.substr(a2.size() - 4), std::string("\xcb\x00\x71\x0a", 4)) << edge << " lands at a sink";
    }
    const auto other = lab::dns::parse_query(query_for("example.com", 1));
    ASSERT_TRUE(other);
    EXPECT_EQ(static_cast<unsigned char>(lab::dns::answer(*other)[3]) & 0x0f, 3) << "NXDOMAIN";
}

TEST(DnsWire, RejectsMalformedQueries) {
    EXPECT_FALSE(lab::dns::parse_query(""));
    EXPECT_FALSE(lab::dns::parse_query(std::string("\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12))) << "a response";
    std::string truncated = query_for("allowed.lab.test", 1);
    truncated.resize(truncated.size() - 3);
    EXPECT_FALSE(lab::dns::parse_query(truncated));
    std::string pointer("\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01", 18);
    EXPECT_FALSE(lab::dns::parse_query(pointer)) << "compression in a question";
    std::string long_name(12, '\0');
    long_name[5] = 1;
    for (int i = 0; i < 5; ++i) long_name += std::string(1, '\x3f') + std::string(63, 'a');
    long_name += std::string("\x00\x00\x01\x00\x01", 5);
    EXPECT_FALSE(lab::dns::parse_query(long_name)) << "name over 255 bytes";
}

TEST(Profiles, ShippedProfilesLoad) {
    const auto names = list_profiles(BOTTLE_ESCAPE_PROFILES_DIR);
    for (const char* want : {"none", "none-proxy", "none-user", "bwrap", "firejail", "srt", "codex", "docker"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    for (const auto& n : names) {
        const auto p = load_profile(BOTTLE_ESCAPE_PROFILES_DIR, n);
        ASSERT_TRUE(p) << n << ": " << p.error().message;
        EXPECT_EQ(p->name, n);
        EXPECT_FALSE(p->description.empty()) << n;
    }
}

TEST(Profiles, TheLiarsLoadToo) {
    const std::string dir = std::string(BOTTLE_ESCAPE_PROFILES_DIR) + "/../tests/liars";
    const auto names = list_profiles(dir);
    EXPECT_EQ(names.size(), 7u);
    for (const auto& n : names) {
        const auto p = load_profile(dir, n);
        ASSERT_TRUE(p) << n << ": " << p.error().message;
    }
    EXPECT_EQ(load_profile(dir, "rewriting-proxy")->lab_proxy, "rewrite");
}

TEST(Profiles, GvisorNamesTheSandboxProcessThatHoldsItsMemory) {
    const auto p = load_profile(BOTTLE_ESCAPE_PROFILES_DIR, "bottle-docker-gvisor");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->memory_process, "runsc-sandbox");
    EXPECT_TRUE(load_profile(BOTTLE_ESCAPE_PROFILES_DIR, "bottle-docker")->memory_process.empty());
}

TEST(Profiles, BadProfilesAreRejectedWithTheReason) {
    const auto dir = std::filesystem::temp_directory_path() / ("bbx-profiles-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& body) { std::ofstream(dir / (name + ".json")) << body; };
    write("typo", R"({"name":"typo","commnd":["x","{probe_args}"]})");
    write("noargs", R"({"name":"noargs","command":["x","{probe}"]})");
    write("wrongname", R"({"name":"other","command":["x","{probe_args}"]})");
    write("badfile", R"({"name":"badfile","files":{"../escape":"x"},"command":["x","{probe_args}"]})");
    write("badrunas", R"({"name":"badrunas","run_as":"admin","command":["x","{probe_args}"]})");
    write("asroot", R"({"name":"asroot","run_as":"root","command":["x","{probe_args}"]})");
    write("asuser", R"({"name":"asuser","command":["x","{probe_args}"]})");
    write("badproxy", R"({"name":"badproxy","lab_proxy":true,"command":["x","{probe_args}"]})");
    write("memproc", R"({"name":"memproc","memory_process":"runsc-sandbox","command":["x","{probe_args}"]})");
    write("badmemproc", R"({"name":"badmemproc","memory_process":"/usr/bin/runsc","command":["x","{probe_args}"]})");
    write("badmemproc2", R"({"name":"badmemproc2","memory_process":["runsc-sandbox"],"command":["x","{probe_args}"]})");
    EXPECT_NE(load_profile(dir, "typo").error().message.find("/commnd"), std::string::npos);
    EXPECT_NE(load_profile(dir, "noargs").error().message.find("{probe_args}"), std::string::npos);
    EXPECT_NE(load_profile(dir, "wrongname").error().message.find("/name"), std::string::npos);
    EXPECT_NE(load_profile(dir, "badfile").error().message.find("plain name"), std::string::npos);
    EXPECT_NE(load_profile(dir, "badrunas").error().message.find("\"user\" or \"root\""), std::string::npos);
    EXPECT_TRUE(load_profile(dir, "asroot")->run_as_root);
    EXPECT_FALSE(load_profile(dir, "asuser")->run_as_root) << "profiles run as the lab user unless they say root";
    EXPECT_NE(load_profile(dir, "badproxy").error().message.find("\"open\" or \"rewrite\""), std::string::npos);
    EXPECT_EQ(load_profile(dir, "memproc")->memory_process, "runsc-sandbox");
    EXPECT_TRUE(load_profile(dir, "asuser")->memory_process.empty()) << "no memory_process unless the profile names one";
    EXPECT_NE(load_profile(dir, "badmemproc").error().message.find("/memory_process: must be a program name"), std::string::npos);
    EXPECT_NE(load_profile(dir, "badmemproc2").error().message.find("/memory_process"), std::string::npos);
    EXPECT_TRUE(bottle::failed_with(load_profile(dir, "missing"), bottle::errc::not_found));
    EXPECT_TRUE(bottle::failed_with(load_profile(dir, "../etc/passwd"), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(load_profile(dir, "custom"), bottle::errc::invalid_argument));
    const auto custom = load_profile(dir, "custom", {"nsjail", "-q", "--"});
    ASSERT_TRUE(custom);
    EXPECT_EQ(custom->command.back(), "{probe_args}");
    std::filesystem::remove_all(dir);
}

TEST(Profiles, PlaceholdersExpand) {
    expansion x;
    x.probe = "/p/bottle-probe";
    x.probe_args = {"run", "--nonce", "ab"};
    x.state = "/s";
    x.node_bin = "/n";
    EXPECT_EQ(expand(std::vector<std::string>{"{node_bin}/srt", "-s", "{state}/x.json", "{probe}", "{probe_args}"}, x),
              (std::vector<std::string>{"/n/srt", "-s", "/s/x.json", "/p/bottle-probe", "run", "--nonce", "ab"}));
    EXPECT_EQ(expand(std::string("sh -c '{probe_cmdline}'"), x), "sh -c '/p/bottle-probe run --nonce ab'");
}

run_result sample_run() {
    run_result r;
    r.profile = "bwrap";
    r.version = "bubblewrap 0.8.0";
    r.nonce = "0123456789ab";
    r.completion = {};
    r.run_as = "bbx-lab";
    r.uid = 64200;
    probe_verdict esc;
    esc.id = "net.tcp4_direct";
    esc.result = verdict::escaped;
    esc.evidence = {{"sink", "world.tcp <bad \x01 byte>"}};
    probe_verdict blk;
    blk.id = "fs.home_secrets";
    blk.result = verdict::blocked;
    probe_verdict na;
    na.id = "priv.kernel_module";
    na.result = verdict::not_applicable;
    na.reason = "no modules";
    probe_verdict exp;
    exp.id = "kern.high_risk";
    exp.result = verdict::exposed;
    exp.evidence = {{"self", "in-sandbox: bpf: E2BIG"}};
    probe_verdict ctl;
    ctl.id = std::string(positive_control);
    ctl.result = verdict::blocked;
    r.verdicts = {esc, blk, na, exp, ctl};
    return r;
}

TEST(Output, JsonRoundTripsThroughTheVersionedSchema) {
    const auto js = to_json(sample_run());
    EXPECT_EQ(js.as_object().at("schema"), "bot-bottle/escape-run/v1");
    const auto back = run_from_json(boost::json::parse(boost::json::serialize(js)));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->verdicts.size(), 5u);
    EXPECT_EQ(back->verdicts[0].result, verdict::escaped);
    EXPECT_EQ(back->verdicts[2].result, verdict::not_applicable);
    EXPECT_EQ(back->verdicts[3].result, verdict::exposed);
    EXPECT_EQ(js.as_object().at("summary").as_object().at("exposed"), 1);
    EXPECT_EQ(js.as_object().at("summary").as_object().at("escaped"), 1) << "EXPOSED is never added to ESCAPED";
    EXPECT_TRUE(back->completed());
    EXPECT_EQ(back->run_as, "bbx-lab");
    EXPECT_EQ(back->uid, 64200);
    EXPECT_FALSE(run_from_json(boost::json::parse(R"({"schema":"bot-bottle/audit/v1","probes":[]})")));
    auto failed = sample_run();
    failed.completion = bottle::make_error(bottle::errc::timeout, "sandbox timed out");
    const auto failed_back = run_from_json(boost::json::parse(boost::json::serialize(to_json(failed))));
    ASSERT_TRUE(failed_back);
    ASSERT_FALSE(failed_back->completed());
    EXPECT_EQ(failed_back->completion.error(), failed.completion.error()) << "message and code survive the trip";
}

TEST(Output, JunitMapsVerdictsAndTheControl) {
    const auto xml = to_junit(sample_run());
    ASSERT_TRUE(xml) << xml.error().message;
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml->c_str()));
    const auto root = doc.child("testsuites");
    EXPECT_EQ(root.attribute("tests").as_int(), 5);
    EXPECT_EQ(root.attribute("failures").as_int(), 2) << "the escape and the exposure; the blocked control of a no-egress profile passes";
    EXPECT_EQ(root.attribute("skipped").as_int(), 1);
}

TEST(Output, MarkdownHasOneRowPerProbeAndAColumnPerRun) {
    auto a = sample_run();
    auto b = sample_run();
    b.profile = "docker";
    const std::string md = compare_markdown({a, b});
    EXPECT_NE(md.find("| probe | bwrap | docker |"), std::string::npos);
    EXPECT_NE(md.find("| bwrap | bubblewrap 0.8.0 | bbx-lab (uid 64200) |"), std::string::npos) << md;
    EXPECT_NE(md.find("| `net.tcp4_direct` | **ESCAPED** | **ESCAPED** |"), std::string::npos);
    EXPECT_NE(md.find("| `kern.high_risk` | *EXPOSED* | *EXPOSED* |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 1 / 1 / 1 / 0 / 1 |"), std::string::npos) << md;
}

}  // namespace
