// tools/common/cli.cpp — see cli.hpp.
#include "cli.hpp"

#include <algorithm>

namespace bottle::cli {

namespace {

/// The option group that marks options which may be given at most once.
constexpr const char* once_group = "once";

/// "--db: 1 required TEXT missing" -> "--db".
std::string option_name_of(const std::string& what) {
    const auto colon = what.find(':');
    return colon == std::string::npos ? std::string{} : what.substr(0, colon);
}

error translate(const CLI::App& app, const CLI::ParseError& e) {
    const std::string what = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        const auto extras = app.remaining();
        const std::string first = extras.empty() ? what : extras.front();
        if (!first.empty() && first.front() == '-' && first != "-")
            return make_error(errc::invalid_argument, "unknown option '" + first.substr(0, first.find('=')) + "'");
        return make_error(errc::invalid_argument, "unexpected argument '" + first + "'");
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
        const auto name = option_name_of(what);
        if (what.find("missing") != std::string::npos)
            return make_error(errc::invalid_argument, name + " needs a value");
        if (what.find("At Most") != std::string::npos || what.find("at most") != std::string::npos)
            return make_error(errc::invalid_argument, name + " was given twice");
    }
    if (what.find(": empty value") != std::string::npos)
        return make_error(errc::invalid_argument, option_name_of(what) + " needs a value");
    return make_error(errc::invalid_argument, what);
}

}  // namespace

std::unique_ptr<CLI::App> make_app(std::string_view tool, std::string_view description) {
    auto app = std::make_unique<CLI::App>(std::string(description), std::string(tool));
    app->set_help_flag("-h,--help", "show the help");
    app->allow_windows_style_options(false);
    app->positionals_at_end(false);
    return app;
}

CLI::Option* add_once(CLI::App& app, const std::string& name, std::string& into, const std::string& what) {
    return app.add_option(name, into, what)
        ->multi_option_policy(CLI::MultiOptionPolicy::Throw)
        ->group(once_group)
        ->check(CLI::Validator(
            [](std::string& v) { return v.empty() ? std::string("empty value") : std::string(); }, "", "non-empty"));
}

CLI::Option* add_flag(CLI::App& app, const std::string& name, bool& into, const std::string& what) {
    return app.add_flag(name, into, what)->multi_option_policy(CLI::MultiOptionPolicy::Throw)->group(once_group);
}

result<outcome> parse(CLI::App& app, const std::vector<std::string>& args) {
    bool version = false;
    if (app.get_option_no_throw("--version") == nullptr) app.add_flag("--version", version, "show the version");
    // CLI11 takes the arguments in reverse order.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return outcome::help;
    } catch (const CLI::ParseError& e) {
        return translate(app, e);
    }
    // CLI11 does not refuse a repeated flag: refuse repeats of every
    // at-most-once option here.
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_group() == once_group && o->count() > 1)
            return make_error(errc::invalid_argument, o->get_name() + " was given twice");
    }
    if (auto* v = app.get_option_no_throw("--version"); v != nullptr && v->count() > 0) return outcome::version;
    return outcome::run;
}

int usage_failure(std::ostream& err, std::string_view tool, const error& e, std::string_view usage) {
    err << tool << ": " << e.message << "\n\n" << usage;
    return exit_usage;
}

std::vector<std::string> arguments(int argc, char** argv) {
    return std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + std::max(argc, 1));
}

}  // namespace bottle::cli
