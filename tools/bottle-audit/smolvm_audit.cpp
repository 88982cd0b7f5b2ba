#include "bottle-audit/smolvm_audit.hpp"

namespace bottle::audit {

result<net::cidr> parse_pool(std::string_view text) {
    auto c = net::cidr::parse(text);
    if (!c) return make_error(errc::invalid_argument, "--pool " + std::string(text) + ": " + c.error().message);
    const auto host_bits = c->host_bits();
    if (!c->is_v4() || (c->network().to_v4().to_uint() >> 24) != 127 || host_bits > 12 ||
        c->contains(net::address(net::address_v4(0x7f000001u))) ||
        c->contains(net::address(net::address_v4(0x7fffffffu))) || c->contains(net::address(net::address_v4(0x7f000000u))))
        return make_error(errc::invalid_argument,
                          "--pool " + std::string(text) + ": the pool must be an IPv4 CIDR of at most " +
                              std::to_string(net::max_pool_size) +
                              " addresses within 127.0.0.2 .. 127.255.255.254 (127.0.0.1 is the host's own), e.g. " +
                              std::string(default_pool));
    return *c;
}

}  // namespace bottle::audit

namespace bottle::audit::detail {

uint128 address_value(const net::address& a) noexcept {
    if (a.is_v4()) return a.to_v4().to_uint();
    uint128 v = 0;
    for (unsigned char b : a.to_v6().to_bytes()) v = (v << 8) | b;
    return v;
}

std::vector<std::size_t> shared_partners(std::vector<held_range>& r) {
    std::sort(r.begin(), r.end(), [](const held_range& a, const held_range& b) {
        if (a.v6 != b.v6) return b.v6;
        if (a.lo != b.lo) return a.lo < b.lo;
        return a.hi < b.hi;
    });
    std::vector<std::size_t> partner(r.size(), no_partner);
    struct slot { uint128 edge = 0; std::size_t owner = no_partner; std::size_t index = 0; };
    // Forward: a = largest end so far, b = largest end among owners other than a's.
    slot a, b;
    for (std::size_t i = 0; i < r.size(); ++i) {
        if (i > 0 && r[i].v6 != r[i - 1].v6) a = b = slot{};
        const auto& x = r[i];
        if (a.owner != no_partner && a.owner != x.owner && a.edge >= x.lo) partner[i] = a.owner;
        else if (b.owner != no_partner && b.owner != x.owner && b.edge >= x.lo) partner[i] = b.owner;
        if (a.owner == x.owner) { a.edge = std::max(a.edge, x.hi); continue; }
        if (a.owner == no_partner || x.hi > a.edge) { b = a; a = {x.hi, x.owner, i}; continue; }
        if (b.owner == no_partner || x.hi > b.edge) b = {x.hi, x.owner, i};
    }
    // Backward: a = nearest later range (smallest start), b = nearest later one of another owner than a's.
    a = b = slot{};
    for (std::size_t k = r.size(); k-- > 0;) {
        if (k + 1 < r.size() && r[k].v6 != r[k + 1].v6) a = b = slot{};
        const auto& x = r[k];
        if (partner[k] == no_partner) {
            if (a.owner != no_partner && a.owner != x.owner && a.edge <= x.hi) partner[k] = a.owner;
            else if (b.owner != no_partner && b.owner != x.owner && b.edge <= x.hi) partner[k] = b.owner;
        }
        if (a.owner != x.owner) b = a;
        a = {x.lo, x.owner, k};
    }
    return partner;
}

boost::json::value cidrs_json(const smolvm::vm_record& rec) {
    if (rec.allowed_cidrs_field() == smolvm::cidr_field::absent) return "absent";
    if (!rec.allowed_cidrs()) return nullptr;
    boost::json::array a;
    for (const auto& c : *rec.allowed_cidrs()) a.emplace_back(c);
    return a;
}

boost::json::array strings_json(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

void judge_machine(const smolvm::vm_record& rec, const std::string& subject, std::size_t owner, const net::cidr& pool,
                          std::vector<report::finding>& out, std::vector<held_range>& held) {
    using report::severity;
    const std::string& name = rec.name();
    if (!rec.network()) {
        out.push_back({"smolvm.network_off", severity::info, subject, "network is off: the machine has no egress",
                       "", boost::json::object{{"network", false}, {"allowed_cidrs", cidrs_json(rec)}}});
        return;
    }
    if (rec.unrestricted()) {
        out.push_back({"smolvm.unrestricted_egress", severity::critical, subject,
                       std::string("network is on and allowed_cidrs is ") +
                           (rec.allowed_cidrs_field() == smolvm::cidr_field::null ? "null" : "absent") +
                           ": smolvm applies no egress restriction, the machine can reach any address",
                       "stop the machine and pin its allowlist to its loopback alias (bottle-run --backend smolmachines "
                       "does this for the machines it launches, before every start), or recreate it: smolvm machine create --name " + name + " --allow-cidr <alias>/32 ...",
                       boost::json::object{{"network", true}, {"allowed_cidrs", cidrs_json(rec)},
                                           {"dns_filter_hosts", strings_json(rec.dns_filter_hosts())}}});
        if (!rec.dns_filter_hosts().empty())
            out.push_back({"smolvm.host_filter_without_cidr_policy", severity::medium, subject,
                           "hosts are allowed by name (dns_filter_hosts) but there is no CIDR policy: smolvm enforces "
                           "--allow-host only through allowed_cidrs, so the name filter restricts nothing (smolvm "
                           "< 1.8.0 drops the policy of `machine create --from`)",
                           "upgrade smolvm to >= 1.8.0 and recreate the machine with --allow-cidr as well as --allow-host",
                           boost::json::object{{"dns_filter_hosts", strings_json(rec.dns_filter_hosts())}}});
        return;
    }
    const auto& backend = rec.network_backend();
    if (backend && *backend == "tsi") {
        out.push_back({"smolvm.policy_on_tsi", severity::high, subject,
                       "the machine has a CIDR policy on the TSI backend, which smolvm < 1.1.3 did not enforce (newer "
                       "versions refuse the combination): the allowlist may be ignored",
                       "recreate the machine with --net-backend virtio-net (the default with a policy) on smolvm >= 1.8.0",
                       boost::json::object{{"network_backend", *backend}}});
    } else if (backend && *backend != "virtio-net") {
        out.push_back({"smolvm.unknown_network_backend", severity::medium, subject,
                       "the machine has a CIDR policy on network backend '" + *backend +
                           "', which bottle-audit does not know to enforce it",
                       "recreate the machine with --net-backend virtio-net, or check that this smolvm version enforces "
                       "allowed_cidrs on '" + *backend + "'",
                       boost::json::object{{"network_backend", *backend}}});
    }
    for (const auto& entry : *rec.allowed_cidrs()) {
        auto c = net::cidr::parse(entry);
        if (!c) {
            out.push_back({"smolvm.allowlist_entry_invalid", severity::high, subject,
                           "allowlist entry '" + entry + "' is not a strict CIDR (" + c.error().message +
                               "): smolvm and bot-bottle may read it differently",
                           "recreate the machine with --allow-cidr <alias>/32",
                           boost::json::object{{"entry", entry}}});
            continue;
        }
        if (c->host_bits() > 0)
            out.push_back({"smolvm.allowlist_entry_too_wide", severity::high, subject,
                           "allowlist entry " + c->to_string() + " allows " +
                               (c->host_bits() >= 64 ? std::string("2^") + std::to_string(c->host_bits())
                                                     : std::to_string(static_cast<unsigned long long>(c->width()))) +
                               " addresses; a bottle's machine should reach exactly one (its loopback alias)",
                           "pin the allowlist to one /32 alias from the pool " + pool.to_string(),
                           boost::json::object{{"entry", entry}, {"addresses_log2", c->host_bits()}}});
        if (!pool.contains(*c))
            out.push_back({"smolvm.allowlist_entry_outside_pool", severity::high, subject,
                           "allowlist entry " + c->to_string() + " is outside the loopback pool " + pool.to_string() +
                               ": the machine can reach something other than its own egress proxy alias",
                           "pin the allowlist to one /32 alias from the pool " + pool.to_string() +
                               " (or pass --pool if this host uses another pool)",
                           boost::json::object{{"entry", entry}, {"pool", pool.to_string()}}});
        held.push_back({!c->is_v4(), address_value(c->network()), address_value(c->last()), owner, entry});
    }
}

void judge_rows(std::span<const smolvm::raw_row> rows, std::size_t first_owner, std::span<const std::string> subjects,
                       const net::cidr& pool, const std::string& target, const smolvm::decode_limits& limits,
                       chunk_result& out) noexcept {
    try {
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const auto& row = rows[k];
            const std::size_t owner = first_owner + k;
            const std::string& subject = subjects[k];
            auto rec = row.decode(limits);
            if (!rec) {
                out.findings.push_back({"smolvm.malformed_record", report::severity::high, subject,
                                        "the machine record cannot be decoded, so its egress policy cannot be judged: " +
                                            rec.error().message,
                                        "inspect it with: sqlite3 -readonly '" + target +
                                            "' \"SELECT typeof(data), length(data) FROM vms WHERE name = '" + row.name +
                                            "'\"; then delete and recreate the machine with smolvm",
                                        boost::json::object{{"error", rec.error().code.message()},
                                                            {"stored_as_blob", row.stored_as_blob},
                                                            {"bytes", row.size}}});
                continue;
            }
            judge_machine(*rec, subject, owner, pool, out.findings, out.held);
        }
    } catch (...) {
        out.failure = std::current_exception();
    }
}

std::size_t max_workers() noexcept { return std::max(1u, std::min(8u, std::thread::hardware_concurrency())); }

void finish_outcome(audit_outcome& o, std::span<chunk_result> parts) {
    std::vector<held_range> held;
    for (auto& part : parts) {
        if (part.failure) std::rethrow_exception(part.failure);
        o.findings.insert(o.findings.end(), std::make_move_iterator(part.findings.begin()),
                          std::make_move_iterator(part.findings.end()));
        held.insert(held.end(), std::make_move_iterator(part.held.begin()), std::make_move_iterator(part.held.end()));
    }
    const auto partner = shared_partners(held);
    for (std::size_t i = 0; i < held.size(); ++i) {
        if (partner[i] == no_partner) continue;
        const std::string& other = o.subjects[partner[i]];
        o.findings.push_back({"smolvm.allowlist_entry_shared", report::severity::high, o.subjects[held[i].owner],
                              "allowlist entry " + held[i].text + " shares addresses with the allowlist of " + other +
                                  ": the two machines can reach each other's egress alias",
                              "give each machine its own /32 alias from the pool " + o.pool,
                              boost::json::object{{"entry", held[i].text}, {"shared_with", other.substr(3)}}});
    }
    sort_findings(o.findings);
}

}  // namespace bottle::audit::detail

namespace bottle::audit {

audit_outcome audit_machines(std::span<const smolvm::raw_row> rows, const net::cidr& pool,
                                                  std::string target, const smolvm::decode_limits& limits) {
    audit_outcome o;
    o.kind = "smolvm";
    o.target = std::move(target);
    o.pool = pool.to_string();
    o.subjects.reserve(rows.size());
    for (const auto& row : rows) o.subjects.push_back("vm " + row.name);

    const std::size_t workers = std::max<std::size_t>(1, std::min(detail::max_workers(), rows.size() / detail::rows_per_worker));
    std::vector<detail::chunk_result> parts(workers);
    const std::size_t per = (rows.size() + workers - 1) / std::max<std::size_t>(workers, 1);
    auto run = [&](std::size_t w) {
        const std::size_t begin = std::min(rows.size(), w * per);
        const std::size_t end = std::min(rows.size(), begin + per);
        detail::judge_rows(rows.subspan(begin, end - begin), begin,
                           std::span<const std::string>(o.subjects).subspan(begin, end - begin), pool, o.target, limits,
                           parts[w]);
    };
    {
        std::vector<std::jthread> threads;
        for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(run, w);
        run(0);
    }  // joined
    detail::finish_outcome(o, parts);
    return o;
}

result<audit_outcome> audit_smolvm_db(const std::filesystem::path& db, const net::cidr& pool) {
    smolvm::open_options opts;
    opts.max_rows = max_audit_rows;
    auto handle = smolvm::state_db::open_read_only(db, opts);
    if (!handle) return handle.error();
    audit_outcome o;
    o.kind = "smolvm";
    o.target = db.string();
    o.pool = pool.to_string();

    // Streamed: rows are judged in batches by worker threads while the next
    // batch is read, and a batch's bytes are freed once it is judged, so the
    // whole table is never held at once. Same outcome as audit_machines.
    struct batch {
        std::vector<smolvm::raw_row> rows;
        std::vector<std::string> subjects;
        std::size_t first = 0;
    };
    std::deque<batch> batches;               // stable addresses for the workers
    std::deque<detail::chunk_result> parts;  // one per batch, in row order
    std::size_t next_owner = 0;
    {
        std::deque<std::jthread> running;  // declared last: joined before batches/parts go
        std::size_t oldest = 0;            // the batch of running.front()
        auto launch = [&] {
            batch& b = batches.back();
            detail::chunk_result& part = parts.emplace_back();
            if (running.size() >= detail::max_workers()) {
                running.pop_front();  // joins the oldest; its bytes are freed here, by the thread that allocated them
                std::vector<smolvm::raw_row>().swap(batches[oldest++].rows);
            }
            running.emplace_back([&b, &part, &pool, &o, &opts] {
                detail::judge_rows(b.rows, b.first, b.subjects, pool, o.target, opts.limits, part);
            });
        };
        auto listed = handle->for_each([&](smolvm::raw_row&& row) {
            if (batches.empty() || batches.back().rows.size() == detail::rows_per_worker) {
                if (!batches.empty()) launch();
                batch& b = batches.emplace_back();
                b.first = next_owner;
                b.rows.reserve(detail::rows_per_worker);
                b.subjects.reserve(detail::rows_per_worker);
            }
            batches.back().subjects.push_back("vm " + row.name);
            batches.back().rows.push_back(std::move(row));
            ++next_owner;
        });
        if (!listed) return listed.error();  // never a partial outcome
        if (!batches.empty()) {
            if (running.empty()) {  // a single batch: judge it here
                detail::judge_rows(batches.back().rows, batches.back().first, batches.back().subjects, pool, o.target,
                                   opts.limits, parts.emplace_back());
            } else {
                launch();
            }
        }
    }  // joined
    o.subjects.reserve(next_owner);
    for (auto& b : batches) std::move(b.subjects.begin(), b.subjects.end(), std::back_inserter(o.subjects));
    std::vector<detail::chunk_result> merged(std::make_move_iterator(parts.begin()), std::make_move_iterator(parts.end()));
    detail::finish_outcome(o, merged);
    return o;
}

}  // namespace bottle::audit
