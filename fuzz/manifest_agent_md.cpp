// Fuzz target: arbitrary bytes as a markdown agent file (YAML front matter +
// prompt body). The front-matter parser reads untrusted input: it must never
// crash or throw, and an accepted agent must pass the JSON agent schema
// again and hold only the keys the format allows.
#include "bottle/manifest/agent_md.hpp"
#include "bottle/manifest/schema.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace bm = bottle::manifest;
    bm::limits lim;
    lim.max_file_bytes = 64 * 1024;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto agent = bm::parse_agent_markdown(text, "fuzz.md", lim);
    if (!agent) {
        if (agent.error().message.rfind("fuzz.md: ", 0) != 0) std::abort();  // every error names the file
        return 0;
    }
    if (!bm::validate_agent(*agent, "fuzz.md", "", lim)) std::abort();
    for (const auto& m : *agent) {
        const std::string_view k = m.key();
        if (k != "bottle" && k != "command" && k != "provider" && k != "skills" && k != "prompt") std::abort();
    }
    return 0;
}
