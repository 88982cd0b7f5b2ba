// Replay main for fuzz targets built without libFuzzer: feeds every file
// named on the command line (directories are walked) to
// LLVMFuzzerTestOneInput once. A crash or sanitizer report fails the ctest
// that runs it; an empty input set is an error, so a missing corpus cannot
// pass silently.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int replay_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "replay: cannot read " << path << '\n';
        return 1;
    }
    std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // Copy into an exactly-sized heap buffer so ASan catches reads past the end.
    std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t replayed = 0;
    int failures = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                failures += replay_file(file);
                ++replayed;
            }
        } else {
            failures += replay_file(arg);
            ++replayed;
        }
    }
    if (replayed == 0) {
        std::cerr << "replay: no inputs found\n";
        return 1;
    }
    std::cout << "replayed " << replayed << " inputs\n";
    return failures == 0 ? 0 : 1;
}
