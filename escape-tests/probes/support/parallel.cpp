#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

namespace bottle::escape::probe::support {

void run_parallel(const std::vector<std::function<void()>>& jobs, std::size_t width) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) jobs[i]();
    };
    std::vector<std::thread> threads;
    const std::size_t n = std::min(std::max<std::size_t>(width, 1), jobs.size());
    for (std::size_t t = 0; t < n; ++t) {
        try {
            threads.emplace_back(worker);
        } catch (const std::system_error&) {
            break;  // no more threads here: the ones we have (or this one) finish the queue
        }
    }
    worker();
    for (auto& t : threads) t.join();
}

bool threads_usable() {
    static const bool usable = [] {
        try {
            std::thread t([] {});
            t.join();
            return true;
        } catch (const std::system_error&) {
            return false;
        }
    }();
    return usable;
}

}  // namespace bottle::escape::probe::support
