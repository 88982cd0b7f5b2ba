// tools/bottle-run/picker_model.hpp — the launch picker's state, without a
// terminal.
//
// Two screens, as the original bot-bottle offers them: an agent list
// filtered by what the user types, then a multi-select of bottles
// pre-filled from the agent's `bottle` list (each labelled with its lineage,
// `dev <- node <- base`), whose chosen order can be changed. Keys come in
// as `picker_key`; picker.cpp maps the terminal's keys onto them and draws.
// Every transition is a plain function of (state, key), so tests drive it
// without ncurses.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace bottle::run {

enum class picker_key { up, down, enter, space, backspace, escape, move_up, move_down, text };

struct picker_agent {
    std::string name;
    std::string detail;                    ///< e.g. "provider claude, bottles dev+gpu"
    std::vector<std::string> bottles;      ///< its `bottle` list: pre-selects the bottle screen
};

struct picker_bottle {
    std::string name;
    std::string label;                     ///< lineage, leaf first: "dev <- node <- base"
};

enum class picker_screen { agents, bottles, done, cancelled };

class picker_model {
public:
    picker_model(std::vector<picker_agent> agents, std::vector<picker_bottle> bottles, std::vector<std::string> preset_bottles = {},
                 bool preset = false)
        : agents_(std::move(agents)), bottles_(std::move(bottles)), preset_(std::move(preset_bottles)), use_preset_(preset) {}

    [[nodiscard]] picker_screen screen() const noexcept { return screen_; }
    [[nodiscard]] const std::string& filter() const noexcept { return filter_; }
    [[nodiscard]] std::size_t cursor() const noexcept { return cursor_; }

    /// The agents whose name contains the filter (case-insensitive), in order.
    [[nodiscard]] std::vector<const picker_agent*> visible_agents() const {
        std::vector<const picker_agent*> out;
        for (const auto& a : agents_)
            if (contains_folded(a.name, filter_)) out.push_back(&a);
        return out;
    }

    /// The bottle screen's rows: the chosen bottles in their order, then the
    /// others in manifest order.
    [[nodiscard]] std::vector<const picker_bottle*> bottle_rows() const {
        std::vector<const picker_bottle*> out;
        for (const auto& name : chosen_)
            if (const auto* b = find_bottle(name)) out.push_back(b);
        for (const auto& b : bottles_)
            if (!is_chosen(b.name)) out.push_back(&b);
        return out;
    }
    [[nodiscard]] bool is_chosen(const std::string& name) const {
        return std::find(chosen_.begin(), chosen_.end(), name) != chosen_.end();
    }
    /// The choice, once screen() is done.
    [[nodiscard]] const std::string& agent() const noexcept { return agent_; }
    [[nodiscard]] const std::vector<std::string>& chosen_bottles() const noexcept { return chosen_; }

    /// Applies one key; `c` is the typed character for picker_key::text.
    void press(picker_key k, char c = 0) {
        if (k == picker_key::escape) {
            screen_ = picker_screen::cancelled;
            return;
        }
        if (screen_ == picker_screen::agents) agents_key(k, c);
        else if (screen_ == picker_screen::bottles) bottles_key(k);
    }

private:
    static bool contains_folded(const std::string& hay, const std::string& needle) {
        auto fold = [](std::string s) {
            for (auto& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            return s;
        };
        return fold(hay).find(fold(needle)) != std::string::npos;
    }
    const picker_bottle* find_bottle(const std::string& name) const {
        for (const auto& b : bottles_)
            if (b.name == name) return &b;
        return nullptr;
    }

    void agents_key(picker_key k, char c) {
        const auto rows = visible_agents();
        switch (k) {
            case picker_key::up: cursor_ = cursor_ == 0 ? 0 : cursor_ - 1; break;
            case picker_key::down: cursor_ = rows.empty() ? 0 : std::min(cursor_ + 1, rows.size() - 1); break;
            case picker_key::text:
                if (c >= 0x20 && c < 0x7f) filter_ += c, cursor_ = 0;
                break;
            case picker_key::backspace:
                if (!filter_.empty()) filter_.pop_back(), cursor_ = 0;
                break;
            case picker_key::enter:
                if (rows.empty()) break;
                agent_ = rows[std::min(cursor_, rows.size() - 1)]->name;
                chosen_.clear();
                // A launch choice replaces the agent's own list; else it pre-selects.
                for (const auto& b : use_preset_ ? preset_ : rows[std::min(cursor_, rows.size() - 1)]->bottles)
                    if (find_bottle(b) && !is_chosen(b)) chosen_.push_back(b);
                cursor_ = 0;
                screen_ = picker_screen::bottles;
                break;
            default: break;
        }
    }

    void bottles_key(picker_key k) {
        const auto rows = bottle_rows();
        if (rows.empty()) {
            if (k == picker_key::enter) screen_ = picker_screen::done;
            return;
        }
        const std::string here = rows[std::min(cursor_, rows.size() - 1)]->name;
        const auto at = std::find(chosen_.begin(), chosen_.end(), here);
        switch (k) {
            case picker_key::up: cursor_ = cursor_ == 0 ? 0 : cursor_ - 1; break;
            case picker_key::down: cursor_ = std::min(cursor_ + 1, rows.size() - 1); break;
            case picker_key::space:
                if (at != chosen_.end()) chosen_.erase(at);
                else chosen_.push_back(here);
                cursor_ = 0;  // rows reorder: keep the cursor on the bottle just toggled
                for (const auto* r : bottle_rows()) {
                    if (r->name == here) break;
                    ++cursor_;
                }
                break;
            case picker_key::move_up:  // the chosen order is the merge order
                if (at != chosen_.end() && at != chosen_.begin()) std::iter_swap(at, at - 1), --cursor_;
                break;
            case picker_key::move_down:
                if (at != chosen_.end() && at + 1 != chosen_.end()) std::iter_swap(at, at + 1), ++cursor_;
                break;
            case picker_key::enter: screen_ = picker_screen::done; break;
            default: break;
        }
    }

    std::vector<picker_agent> agents_;
    std::vector<picker_bottle> bottles_;
    std::vector<std::string> preset_;
    bool use_preset_ = false;
    picker_screen screen_ = picker_screen::agents;
    std::string filter_;
    std::size_t cursor_ = 0;
    std::string agent_;
    std::vector<std::string> chosen_;
};

}  // namespace bottle::run
