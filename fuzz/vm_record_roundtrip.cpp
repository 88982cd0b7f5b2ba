// Fuzz target: vm_record::decode on arbitrary bytes (a `vms.data` BLOB is
// untrusted input). Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - a failure is one of the documented codes (parse_error, limit_exceeded);
//  - on success, encode() decodes again to a value-equal record and encodes
//    to the same bytes (encoding is a fixed point after one round);
//  - set_allowed_cidrs keeps every other key and its value.
#include "bottle/smolvm/vm_record.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "vm_record_roundtrip: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using bottle::smolvm::vm_record;

    auto rec = vm_record::decode(text);
    if (!rec) {
        if (!bottle::failed_with(rec, bottle::errc::parse_error) && !bottle::failed_with(rec, bottle::errc::limit_exceeded))
            fail("unexpected error code", rec.error().describe());
        return 0;
    }
    const std::string once = rec->encode();
    auto again = vm_record::decode(once);
    if (!again) fail("encoded record does not decode", again.error().describe());
    if (!(*again == *rec)) fail("round trip changed the record", once);
    if (again->encode() != once) fail("encoding is not a fixed point", once);
    if (again->allowed_cidrs_field() != rec->allowed_cidrs_field() || again->network() != rec->network() ||
        again->name() != rec->name())
        fail("relied-on fields changed in the round trip", once);

    auto patched = *rec;
    patched.set_allowed_cidrs({"127.0.0.16/32"});
    auto reread = vm_record::decode(patched.encode());
    if (!reread) fail("patched record does not decode", reread.error().describe());
    if (reread->unrestricted() || reread->allowed_cidrs()->size() != 1) fail("patch did not take", patched.encode());
    for (const auto& kv : rec->json()) {
        if (kv.key() == "allowed_cidrs") continue;
        const auto* v = reread->json().if_contains(kv.key());
        if (v == nullptr || !(*v == kv.value())) fail("patch changed another key", kv.key());
    }
    return 0;
}
