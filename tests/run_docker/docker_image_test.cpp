// The agent image built from its recipe (backends/docker/image.hpp): the pure
// parts (SHA-256, FROM lines, the context tar, the identity, the recipe), then
// against a real daemon — a private dockerd in a network namespace of its own
// (docker_fixture.sh), whose only image is an imported static busybox: a
// bottle's Dockerfile is built and run, a second launch reuses the build, a
// changed input builds anew, a failing step and a missing base exit 125 with
// the daemon's message or the remedy, a provider's recipe is found next to its
// template, gc removes a superseded build, and `resume` relaunches a docker
// bottle with its image.
#include "bottle-run/backends/docker/image.hpp"

#include "bottle-run/backends/docker/context_ignore.hpp"

#include "run/bottle_run_process.hpp"
#include "run_docker/docker_lab.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/os/spawn.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace bottle::run::docker;
using bottle::test_support::contains;

// --- pure -------------------------------------------------------------------

TEST(DockerImagePure, Sha256MatchesTheStandardVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 56 bytes: the padding needs a second block.
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(DockerImagePure, FromImagesSkipsStagesScratchAndFlags) {
    EXPECT_EQ(from_images("FROM bot-bottle/debian:bookworm\nRUN true\n"), (std::vector<std::string>{"bot-bottle/debian:bookworm"}));
    EXPECT_EQ(from_images("# c\n  from --platform=linux/amd64 base:1 AS Build\nRUN make\nFROM build\nFROM scratch\nFROM other:2\nFROM base:1\n"),
              (std::vector<std::string>{"base:1", "other:2"}));
    EXPECT_TRUE(from_images("RUN echo FROM x\n").empty());
    // Global ARGs with a default name the base; one without is left to the daemon.
    EXPECT_EQ(from_images("ARG SUITE=bookworm\nARG REPO=\"bot-bottle/debian\"\nFROM ${REPO}:$SUITE\nARG LATE=x\nFROM $LATE\nFROM $UNSET\n"),
              (std::vector<std::string>{"bot-bottle/debian:bookworm"}));
    EXPECT_EQ(from_images("FROM base:1 AS base:1\n"), (std::vector<std::string>{"base:1"})) << "a stage does not hide its own FROM";
}

TEST(DockerImagePure, IdentityNamesEveryInput) {
    const auto a = identity_of("ctx", "Dockerfile", {"sha256:1"});
    EXPECT_EQ(a.tag.rfind("bot-bottle/agent:", 0), 0u);
    EXPECT_EQ(a.tag.size(), std::string("bot-bottle/agent:").size() + 24);
    EXPECT_EQ(a.inputs.size(), 64u);
    EXPECT_EQ(identity_of("ctx", "Dockerfile", {"sha256:1"}).tag, a.tag) << "the same inputs give the same tag";
    EXPECT_NE(identity_of("ctx2", "Dockerfile", {"sha256:1"}).tag, a.tag) << "a changed context";
    EXPECT_NE(identity_of("ctx", "Dockerfile", {"sha256:2"}).tag, a.tag) << "a rebuilt base";
    EXPECT_NE(identity_of("ctx", "Other.Dockerfile", {"sha256:1"}).tag, a.tag) << "another Dockerfile of the context";
}

TEST(DockerImagePure, ContextTarIsStableAndRefusesSpecialFiles) {
    bottle::test_support::temp_dir dir{"bb-image-ctx"};
    std::ofstream(dir.path() / "Dockerfile") << "FROM x\n";
    fs::create_directories(dir.path() / "sub");
    std::ofstream(dir.path() / "sub" / "b.txt") << "b";
    fs::create_symlink("sub/b.txt", dir.path() / "link");
    auto one = context_tar(dir.path().string());
    ASSERT_TRUE(one) << one.error().message;
    ::utimes((dir.path() / "Dockerfile").c_str(), nullptr);  // a new mtime alone changes nothing
    auto two = context_tar(dir.path().string());
    ASSERT_TRUE(two);
    EXPECT_EQ(*one, *two);
    EXPECT_TRUE(contains(*one, "sub/b.txt"));
    std::ofstream(dir.path() / "sub" / "b.txt") << "changed";
    EXPECT_NE(*context_tar(dir.path().string()), *one);
    ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
    auto refused = context_tar(dir.path().string());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, bottle::errc::invalid_argument);
    EXPECT_TRUE(contains(refused.error().message, "fifo")) << refused.error().message;
}

TEST(DockerImagePure, DockerignoreIsReadAsTheDockerCliReadsIt) {
    const auto rules = context_ignore::parse("# comment\n\n  node_modules  \n/build/\n*.log\n!keep.log\ndocs/**/*.tmp\n.git\nsecret?\r\n");
    EXPECT_TRUE(rules.excluded("node_modules"));
    EXPECT_TRUE(rules.excluded("node_modules/a/b.js")) << "a parent directory matches";
    EXPECT_FALSE(rules.excluded("src/node_modules")) << "a pattern is anchored at the context's root";
    EXPECT_TRUE(rules.excluded("build/x.o")) << "a leading / and a trailing / are dropped";
    EXPECT_TRUE(rules.excluded("a.log"));
    EXPECT_FALSE(rules.excluded("sub/a.log")) << "* does not cross /";
    EXPECT_FALSE(rules.excluded("keep.log")) << "! re-includes";
    EXPECT_TRUE(rules.excluded("docs/x.tmp")) << "** is zero directories too";
    EXPECT_TRUE(rules.excluded("docs/a/b/x.tmp"));
    EXPECT_FALSE(rules.excluded("docs/a/b/x.md"));
    EXPECT_TRUE(rules.excluded(".git/config"));
    EXPECT_TRUE(rules.excluded("secret1"));
    EXPECT_FALSE(rules.excluded("secret12"));
    EXPECT_TRUE(rules.has_exceptions());
    EXPECT_FALSE(context_ignore::parse("").excluded("anything"));
    // The last pattern that applies decides.
    const auto order = context_ignore::parse("data\n!data/keep\ndata/keep/drop\n");
    EXPECT_TRUE(order.excluded("data/x"));
    EXPECT_FALSE(order.excluded("data/keep/y"));
    EXPECT_TRUE(order.excluded("data/keep/drop"));
}

TEST(DockerImagePure, TheContextLeavesOutWhatDockerignoreSaysButNeverTheDockerfile) {
    bottle::test_support::temp_dir dir{"bb-image-ignore"};
    std::ofstream(dir.path() / "Dockerfile") << "FROM x\n";
    std::ofstream(dir.path() / ".dockerignore") << "*\n!app\n";
    fs::create_directories(dir.path() / "app");
    std::ofstream(dir.path() / "app" / "main.sh") << "echo";
    fs::create_directories(dir.path() / "big");
    std::ofstream(dir.path() / "big" / "blob") << "not sent";
    auto tar = context_tar(dir.path().string());
    ASSERT_TRUE(tar) << tar.error().message;
    EXPECT_TRUE(contains(*tar, "Dockerfile"));
    EXPECT_TRUE(contains(*tar, ".dockerignore"));
    EXPECT_TRUE(contains(*tar, "app/main.sh"));
    EXPECT_FALSE(contains(*tar, "big/blob"));
    EXPECT_FALSE(contains(*tar, "not sent"));
    // An ignored file's change is no new input.
    const auto before = *tar;
    std::ofstream(dir.path() / "big" / "blob") << "changed";
    EXPECT_EQ(*context_tar(dir.path().string()), before);
}

TEST(DockerImagePure, RecipeIsTheBottlesDockerfileElseTheProviders) {
    bottle::test_support::temp_dir dir{"bb-image-recipe"};
    fs::create_directories(dir.path() / "home" / "b");
    std::ofstream(dir.path() / "home" / "b" / "Dockerfile") << "FROM x\n";
    fs::create_directories(dir.path() / "providers" / "images" / "cli");
    std::ofstream(dir.path() / "providers" / "images" / "cli" / "Dockerfile") << "FROM y\n";
    const auto home = (dir.path() / "home").string(), source = (dir.path() / "providers" / "p.json").string();
    auto bottle = recipe_for(std::string("~/b/Dockerfile"), "dev", "p", "cli", source, home);
    ASSERT_TRUE(bottle && *bottle);
    EXPECT_EQ((*bottle)->dockerfile, home + "/b/Dockerfile");
    EXPECT_EQ((*bottle)->context, home + "/b");
    EXPECT_EQ((*bottle)->label, "bottle dev");
    auto provider = recipe_for(std::nullopt, "dev", "p", "cli", source, home);
    ASSERT_TRUE(provider && *provider);
    EXPECT_EQ((*provider)->dockerfile, (dir.path() / "providers" / "images" / "cli" / "Dockerfile").string());
    EXPECT_EQ((*provider)->label, "provider p");
    auto none = recipe_for(std::nullopt, "dev", "", "", "", home);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    EXPECT_TRUE(bottle::failed_with(recipe_for(std::string("rel/Dockerfile"), "dev", "", "", "", home), bottle::errc::invalid_argument));
    auto missing = recipe_for(std::nullopt, "dev", "p", "nothere", source, home);
    ASSERT_TRUE(bottle::failed_with(missing, bottle::errc::not_found));
    EXPECT_TRUE(contains(missing.error().message, "images/nothere/Dockerfile")) << missing.error().message;
}

TEST(DockerImagePure, TheManifestsDockerfileIsAnAbsoluteOrHomePathAndTheLaterBottleWins) {
    namespace bm = bottle::manifest;
    auto m = bm::parse_manifest(R"({"bottles": {"base": {"dockerfile": "~/b/Dockerfile"}, "dev": {"extends": "base",
                                   "dockerfile": "/srv/dev/Dockerfile"}, "plain": {"extends": "base", "dockerfile": null}}})",
                                "m.json");
    ASSERT_TRUE(m) << m.error().message;
    auto spec_of = [&](const char* name) { return bm::to_spec(*bm::resolve_bottle(*m, name)); };
    EXPECT_EQ(spec_of("base")->dockerfile, std::optional<std::string>("~/b/Dockerfile"));
    EXPECT_EQ(spec_of("dev")->dockerfile, std::optional<std::string>("/srv/dev/Dockerfile"));
    EXPECT_FALSE(spec_of("plain")->dockerfile) << "null deletes the inherited recipe";
    auto relative = bm::parse_manifest(R"({"bottles": {"b": {"dockerfile": "b/Dockerfile"}}})", "m.json");
    ASSERT_FALSE(relative);
    EXPECT_TRUE(contains(relative.error().message, "/bottles/b/dockerfile")) << relative.error().message;
    EXPECT_FALSE(bm::parse_manifest(R"({"bottles": {"b": {"dockerfile": 3}}})", "m.json"));
}

// --- against a private daemon -------------------------------------------------

bottle::test_support::docker_lab& image_lab_daemon() {
    static bottle::test_support::docker_lab d = bottle::test_support::start_docker_lab("bb-dockerimg");
    return d;
}

class DockerImage : public ::testing::Test {
protected:
    static void TearDownTestSuite() { bottle::test_support::stop_docker_lab(image_lab_daemon()); }
    void SetUp() override {
        if (!image_lab_daemon().up) GTEST_SKIP() << image_lab_daemon().skip;
        if (!fs::exists(bottle::test_support::bottle_run_binary)) GTEST_SKIP() << "bottle-run is not built";
        lab_ = image_lab_daemon().dir;
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        case_ = lab_ + "/" + info->name();
        fs::create_directories(case_ + "/recipe");
        fs::create_directories(case_ + "/ws");
        fs::permissions(case_ + "/ws", fs::perms::all);  // the agent is never root: nobody writes here
    }
    /// A manifest whose bottle `img` builds from case_/recipe/Dockerfile (no
    /// routes: no sidecar, the image is what is tested).
    void recipe(const std::string& dockerfile, const std::string& hello = "hello from the context") {
        std::ofstream(case_ + "/recipe/Dockerfile") << dockerfile;
        std::ofstream(case_ + "/recipe/hello.txt") << hello << '\n';
        std::ofstream(case_ + "/m.json") << R"({"bottles": {"img": {"dockerfile": ")" << case_ << R"(/recipe/Dockerfile"}}})";
    }
    std::vector<std::string> env(std::vector<std::string> more = {}) const {
        std::vector<std::string> e{"DOCKER_HOST=unix://" + lab_ + "/docker.sock", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                   "XDG_RUNTIME_DIR=" + lab_ + "/run", "HOME=" + lab_};
        e.insert(e.end(), more.begin(), more.end());
        return e;
    }
    bottle::test_support::bottle_run_result run(const std::vector<std::string>& args, std::vector<std::string> more_env = {}) const {
        return bottle::test_support::run_bottle_run(args, env(std::move(more_env)));
    }
    std::string docker(const std::vector<std::string>& args) const {
        bottle::os::spawn_request r;
        r.argv = {"docker", "-H", "unix://" + lab_ + "/docker.sock"};
        r.argv.insert(r.argv.end(), args.begin(), args.end());
        auto o = bottle::os::spawn(r);
        return o && o->succeeded() ? o->out : "(docker failed)";
    }
    /// The containers labelled as a bottle's, once the launcher's teardown
    /// (which may finish after bottle-run exits) is done: "" when none are left.
    std::string bottle_containers() const {
        std::string left;
        for (int i = 0; i < 150; ++i) {
            left = docker({"ps", "-a", "--filter", "label=bot-bottle.id", "--format", "{{.Names}}"});
            if (left.empty()) break;
            ::usleep(100 * 1000);
        }
        return left;
    }
    /// The agent images on the daemon, "repo:tag id" per line.
    std::string agent_images() const {  // sorted: the daemon lists images built in the same second in any order
        std::istringstream in(docker({"images", "--filter", "label=bot-bottle.role=agent-image", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"}));
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        std::sort(lines.begin(), lines.end());
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
    std::string lab_, case_;
};

TEST_F(DockerImage, ABottlesDockerfileIsBuiltRunAndThenReused) {
    recipe("FROM bbtest:latest\nCOPY hello.txt /hello.txt\nRUN echo built > /built-marker\n");
    const std::vector<std::string> args{"--backend", "docker", "--manifest", case_ + "/m.json", "--bottle", "img", "--", "cat", "/hello.txt",
                                        "/built-marker"};
    auto first = run(args);
    ASSERT_EQ(first.code, 0) << first.err;
    EXPECT_EQ(first.out, "hello from the context\nbuilt\n");
    EXPECT_TRUE(contains(first.err, "building the agent image bot-bottle/agent:")) << first.err;
    EXPECT_TRUE(contains(first.err, "Step 2/")) << "the daemon's build output is the progress: " << first.err;
    const auto built = agent_images();
    ASSERT_EQ(std::count(built.begin(), built.end(), '\n'), 1) << built;
    EXPECT_TRUE(contains(docker({"image", "inspect", "--format", "{{json .Config.Labels}}", built.substr(0, built.find(' '))}),
                         "\"bot-bottle.recipe\":\"bottle img\""));

    auto second = run(args);
    ASSERT_EQ(second.code, 0) << second.err;
    EXPECT_EQ(second.out, first.out);
    EXPECT_FALSE(contains(second.err, "building")) << "unchanged inputs: the build is reused: " << second.err;
    EXPECT_EQ(agent_images(), built);

    // A changed file of the context is a new build; gc then removes the superseded one.
    recipe("FROM bbtest:latest\nCOPY hello.txt /hello.txt\nRUN echo built > /built-marker\n", "changed");
    auto third = run(args);
    ASSERT_EQ(third.code, 0) << third.err;
    EXPECT_EQ(third.out, "changed\nbuilt\n");
    EXPECT_TRUE(contains(third.err, "building the agent image")) << third.err;
    const auto both = agent_images();
    EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2) << both;
    ::sleep(1);  // Created has a resolution of seconds: the newer build must be newer
    auto gc = run({"gc"});
    EXPECT_EQ(gc.code, 0) << gc.err;
    EXPECT_TRUE(contains(gc.out, "removed agent image " + built.substr(0, built.find(' ')))) << gc.out << gc.err;
    const auto left = agent_images();
    EXPECT_EQ(std::count(left.begin(), left.end(), '\n'), 1) << left;
    EXPECT_FALSE(contains(left, built.substr(0, built.find(' ')))) << left;
}

TEST_F(DockerImage, TwoLaunchesOfANewRecipeAtOnceBothRun) {
    recipe("FROM bbtest:latest\nCOPY hello.txt /hello.txt\nRUN sleep 1\n", "at once");
    const std::vector<std::string> args{"--backend", "docker", "--manifest", case_ + "/m.json", "--bottle", "img", "--", "cat", "/hello.txt"};
    bottle::test_support::bottle_run_result a, b;
    std::thread other([&] { b = run(args); });
    a = run(args);
    other.join();
    EXPECT_EQ(a.code, 0) << a.err;
    EXPECT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(a.out, "at once\n");
    EXPECT_EQ(b.out, "at once\n");
    EXPECT_EQ(bottle_containers(), "");
}

TEST_F(DockerImage, AFailingStepExits125WithTheDaemonsMessage) {
    recipe("FROM bbtest:latest\nRUN printf 'about to fail \\033]0;title\\007\\n' && exit 3\n");
    auto r = run({"--backend", "docker", "--manifest", case_ + "/m.json", "--bottle", "img", "--", "true"});
    EXPECT_EQ(r.code, 125) << r.err;
    EXPECT_TRUE(contains(r.err, "returned a non-zero code: 3")) << r.err;
    EXPECT_TRUE(contains(r.err, "about to fail ]0;title\n")) << "the step's own output is shown: " << r.err;
    EXPECT_FALSE(contains(r.err, "\033")) << "without the control bytes that would drive the terminal";
    EXPECT_EQ(bottle_containers(), "") << "nothing of a bottle was made";
}

TEST_F(DockerImage, AMissingBaseImageSaysHowToMakeOne) {
    recipe("FROM bot-bottle/debian:bookworm\nRUN true\n");
    const auto before = agent_images();
    auto r = run({"--backend", "docker", "--manifest", case_ + "/m.json", "--bottle", "img", "--", "true"});
    EXPECT_EQ(r.code, 125) << r.err;
    EXPECT_TRUE(contains(r.err, "FROM bot-bottle/debian:bookworm, which is not on the daemon")) << r.err;
    EXPECT_TRUE(contains(r.err, "scripts/debian-base-image.sh")) << r.err;
    EXPECT_EQ(agent_images(), before) << "nothing was built";
}

TEST_F(DockerImage, AProvidersRecipeIsFoundNextToItsTemplate) {
    const auto providers = case_ + "/providers";
    fs::create_directories(providers + "/images/lab");
    std::ofstream(providers + "/labcli.json")
        << R"({"command": ["cat", "/cli-version"], "image": "lab", "egress": [],
              "credentials": {"kind": "env_token", "host_env": "TEST_TOKEN", "agent_env": "AGENT_TOKEN", "remedy": "set TEST_TOKEN"}})";
    std::ofstream(providers + "/images/lab/Dockerfile") << "FROM bbtest:latest\nRUN echo lab-cli-1.0 > /cli-version\n";
    std::ofstream(case_ + "/m.json") << R"({"bottles": {"plain": {}}, "agents": {"coder": {"provider": "labcli", "bottle": "plain"}}})";
    auto r = run({"--backend", "docker", "--manifest", case_ + "/m.json", "agent", "coder"},
                 {"BOT_BOTTLE_PROVIDERS=" + providers, "TEST_TOKEN=t0k"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "lab-cli-1.0\n");
    EXPECT_TRUE(contains(r.err, "from provider labcli's image recipe lab")) << r.err;
}

TEST_F(DockerImage, ResumeRelaunchesADockerBottleWithItsImageAndWorkspace) {
    // Given by --image (a recorded name) and with the backend chosen by the
    // environment: the resuming shell has neither, the record has both.
    auto first = run({"--workspace", case_ + "/ws", "--image", "bbtest:latest", "--", "sh", "-c", "echo run >> /workspace/log; cat /workspace/log"},
                     {"BOT_BOTTLE_BACKEND=docker"});
    ASSERT_EQ(first.code, 0) << first.err;
    EXPECT_EQ(first.out, "run\n");
    EXPECT_EQ(bottle_containers(), "") << "the first bottle is gone";
    std::string newest;
    for (const auto& e : fs::directory_iterator(lab_ + "/run/bot-bottle"))
        if (e.path().string().size() > 12 && e.path().string().ends_with(".launch.json") &&
            (newest.empty() || fs::last_write_time(e.path()) > fs::last_write_time(newest)))
            newest = e.path().string();
    ASSERT_FALSE(newest.empty());
    const auto record = bottle::test_support::slurp(newest);
    EXPECT_TRUE(contains(record, R"("backend":"docker")")) << record;
    EXPECT_TRUE(contains(record, R"("image":"bbtest:latest")")) << record;
    const auto name = fs::path(newest).filename().string();
    const auto bottle_id = name.substr(0, name.size() - std::string(".launch.json").size());
    auto again = run({"resume", bottle_id});
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(again.out, "run\nrun\n") << "the same workspace, in a new docker bottle";
    EXPECT_TRUE(contains(again.err, "resuming " + bottle_id + " (command, workspace " + case_ + "/ws, backend docker)")) << again.err;
    EXPECT_EQ(bottle_containers(), "");
}

}  // namespace
