// The launch picker: picker_model's state drawn with ncurses, keys mapped
// onto it. Raw mode, so Ctrl-C cancels (and the terminal is restored)
// instead of killing bottle-run with the screen still in curses mode.
#include "bottle-run/picker.hpp"

#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/resolve.hpp"

#include <boost/json.hpp>

#include <curses.h>

#include <algorithm>
#include <cstdio>

namespace bottle::run {

namespace json = boost::json;

namespace {

std::vector<std::string> agent_bottles(const json::value& def) {
    std::vector<std::string> out;
    const auto* o = def.if_object();
    const auto* b = o ? o->if_contains("bottle") : nullptr;
    if (!b) return out;
    if (const auto* s = b->if_string()) out.emplace_back(*s);
    if (const auto* a = b->if_array())
        for (const auto& v : *a)
            if (const auto* s = v.if_string()) out.emplace_back(*s);
    return out;
}

std::string agent_detail(const json::value& def, const std::vector<std::string>& bottles) {
    std::string provider = "claude";
    if (const auto* o = def.if_object())
        if (const auto* p = o->if_contains("provider"); p && p->is_string()) provider = std::string(p->get_string());
    std::string d = "provider " + provider;
    for (const auto& b : bottles) d += (b == bottles.front() ? ", bottles " : "+") + b;
    return d;
}

void pretty(std::string& out, const json::value& v, int indent) {
    const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
    if (const auto* o = v.if_object()) {
        if (o->empty()) return void(out += "{}");
        std::vector<std::string> keys;
        for (const auto& m : *o) keys.emplace_back(m.key());
        std::sort(keys.begin(), keys.end());
        out += "{\n";
        for (std::size_t i = 0; i < keys.size(); ++i) {
            out += pad + "  " + json::serialize(json::value(keys[i])) + ": ";
            pretty(out, o->at(keys[i]), indent + 1);
            out += i + 1 < keys.size() ? ",\n" : "\n";
        }
        out += pad + "}";
    } else if (const auto* a = v.if_array()) {
        if (a->empty()) return void(out += "[]");
        out += "[\n";
        for (std::size_t i = 0; i < a->size(); ++i) {
            out += pad + "  ";
            pretty(out, (*a)[i], indent + 1);
            out += i + 1 < a->size() ? ",\n" : "\n";
        }
        out += pad + "]";
    } else {
        out += json::serialize(v);
    }
}

/// Draws one screen; the cursor's row is shown reversed.
void draw(const picker_model& p) {
    erase();
    int row = 0;
    if (p.screen() == picker_screen::agents) {
        mvaddstr(row++, 0, "bottle-run: choose an agent (type to filter, Up/Down, Enter; Esc cancels)");
        mvaddstr(row++, 0, ("filter: " + p.filter()).c_str());
        ++row;
        const auto rows = p.visible_agents();
        if (rows.empty()) mvaddstr(row, 2, "(no agent matches)");
        for (std::size_t i = 0; i < rows.size() && row < LINES; ++i, ++row) {
            if (i == p.cursor()) attron(A_REVERSE);
            mvaddstr(row, 0, ("  " + rows[i]->name + "    " + rows[i]->detail).substr(0, static_cast<std::size_t>(std::max(COLS, 1))).c_str());
            if (i == p.cursor()) attroff(A_REVERSE);
        }
    } else {
        mvaddstr(row++, 0, ("bottle-run: bottles for " + p.agent() + " (Space toggles, [ and ] reorder, Enter launches; Esc cancels)").c_str());
        ++row;
        const auto rows = p.bottle_rows();
        if (rows.empty()) mvaddstr(row, 2, "(the manifest has no bottles: Enter launches in an empty bottle)");
        const auto& chosen = p.chosen_bottles();
        for (std::size_t i = 0; i < rows.size() && row < LINES; ++i, ++row) {
            const auto at = std::find(chosen.begin(), chosen.end(), rows[i]->name);
            const std::string mark = at == chosen.end() ? "[ ]   " : "[x] " + std::to_string(at - chosen.begin() + 1) + " ";
            if (i == p.cursor()) attron(A_REVERSE);
            mvaddstr(row, 0, (mark + rows[i]->name + "    " + rows[i]->label).substr(0, static_cast<std::size_t>(std::max(COLS, 1))).c_str());
            if (i == p.cursor()) attroff(A_REVERSE);
        }
    }
    refresh();
}

}  // namespace

picker_model make_picker(const manifest::manifest& m, const std::vector<std::string>& launch_bottles) {
    std::vector<picker_agent> agents;
    for (const auto& a : m.agents) {
        auto bottles = agent_bottles(a.value());
        agents.push_back({std::string(a.key()), agent_detail(a.value(), bottles), bottles});
    }
    std::sort(agents.begin(), agents.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
    std::vector<picker_bottle> bottles;
    for (const auto& b : m.bottles) {
        const std::string name(b.key());
        auto r = manifest::resolve_bottle(m, name);
        std::string label;
        if (!r) label = "(does not resolve: " + r.error().message + ")";
        else
            for (auto it = r->lineage.rbegin(); it != r->lineage.rend(); ++it) label += (label.empty() ? "" : " <- ") + *it;
        bottles.push_back({name, label});
    }
    return picker_model(std::move(agents), std::move(bottles), launch_bottles, !launch_bottles.empty());
}

result<std::string> describe_choice(const manifest::manifest& m, const std::vector<std::string>& bottles) {
    if (bottles.empty()) return std::string("lineage: (none: an empty bottle, no routes)\n{}\n");
    auto r = manifest::merge_bottles(m, bottles);
    if (!r) return r.error();
    std::string out = "lineage: " + manifest::format_lineage(r->lineage) + "\n";
    pretty(out, json::value(r->value), 0);
    return out + "\n";
}

int pick_launch(options& o, const manifest::manifest& m, std::ostream& err) {
    if (m.agents.empty()) {
        err << "bottle-run: the manifest has no agents to choose from; name a COMMAND after -- or add an agent\n";
        return exit_launcher_failed;
    }
    auto model = make_picker(m, o.bottles);
    SCREEN* screen = newterm(nullptr, stdout, stdin);
    if (!screen) {
        err << "bottle-run: cannot drive this terminal (TERM unknown?): name the agent instead (bottle-run agent NAME)\n";
        return exit_launcher_failed;
    }
    raw();
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(50);
    curs_set(0);
    while (model.screen() == picker_screen::agents || model.screen() == picker_screen::bottles) {
        draw(model);
        const int ch = getch();
        switch (ch) {
            case KEY_UP: model.press(picker_key::up); break;
            case KEY_DOWN: model.press(picker_key::down); break;
            case '\n': case '\r': case KEY_ENTER: model.press(picker_key::enter); break;
            case 27: case 3: case ERR: model.press(picker_key::escape); break;  // Esc, Ctrl-C, a closed terminal
            case KEY_BACKSPACE: case 127: case 8: model.press(picker_key::backspace); break;
            case KEY_SR: model.press(picker_key::move_up); break;
            case KEY_SF: model.press(picker_key::move_down); break;
            case ' ':
                model.press(model.screen() == picker_screen::agents ? picker_key::text : picker_key::space, ' ');
                break;
            default:
                if (model.screen() == picker_screen::bottles && (ch == '[' || ch == ']'))
                    model.press(ch == '[' ? picker_key::move_up : picker_key::move_down);
                else if (ch > 0 && ch < 0x80)
                    model.press(picker_key::text, static_cast<char>(ch));
        }
    }
    endwin();
    delscreen(screen);
    std::fflush(stdout);
    if (model.screen() == picker_screen::cancelled) {
        err << "bottle-run: cancelled, nothing was started\n";
        return exit_launcher_failed;
    }
    o.command = "agent";
    o.target = model.agent();
    o.bottles = model.chosen_bottles();
    o.pick = false;
    // None chosen: the agent's own list applies (resolve_agent), so show it.
    auto text = describe_choice(m, o.bottles.empty() ? agent_bottles(m.agents.at(o.target)) : o.bottles);
    if (!text) {
        err << "bottle-run: " << text.error().message << '\n';
        return exit_launcher_failed;
    }
    err << "bottle-run: agent " << o.target << '\n' << *text;
    err.flush();
    return 0;
}

}  // namespace bottle::run
