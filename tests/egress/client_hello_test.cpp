#include "bottle-egress/client_hello.hpp"

#include "tls_hello.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::egress;
using namespace bottle::egress::testing;
using bottle::errc;
using bottle::failed_with;

std::string name_of(const std::string& bytes) {
    auto r = parse_client_hello(bytes);
    EXPECT_TRUE(r) << (r ? "" : r.error().describe());
    if (!r || !*r) return "<none>";
    EXPECT_LE((*r)->bytes, bytes.size());
    return (*r)->server_name;
}

std::string refusal(const std::string& bytes, errc code) {
    auto r = parse_client_hello(bytes);
    if (r) {
        ADD_FAILURE() << "not refused";
        return {};
    }
    EXPECT_TRUE(failed_with(r, code)) << r.error().describe();
    return r.error().message;
}

TEST(ClientHello, OneNameInOneRecord) {
    const std::string hello = client_hello_for("api.example.com");
    EXPECT_EQ(name_of(hello), "api.example.com");
    EXPECT_EQ((*parse_client_hello(hello + "\x17\x03\x03\x00\x01x"))->bytes, hello.size());
}

TEST(ClientHello, HelloSplitOverRecordsAndSegments) {
    const std::string message = hello_message({sni_extension({"a.example.org"})});
    for (std::size_t fragment : {1u, 7u, 40u, 100u}) {
        const std::string bytes = records(message, fragment);
        EXPECT_EQ(name_of(bytes), "a.example.org") << fragment;
        for (std::size_t cut = 0; cut < bytes.size(); cut += 13) {
            auto r = parse_client_hello(bytes.substr(0, cut));
            ASSERT_TRUE(r) << fragment << " " << cut << " " << r.error().describe();
            EXPECT_FALSE(*r) << "complete after only " << cut << " bytes";
        }
    }
}

TEST(ClientHello, NonTlsIsRefusedFromTheFirstBytes) {
    EXPECT_NE(refusal("G", errc::parse_error).find("not a TLS"), std::string::npos);
    refusal("SSH-2.0-OpenSSH_9.2\r\n", errc::parse_error);
    refusal(std::string("\x16\x02", 2), errc::parse_error);
    refusal(std::string("\x80\x2e\x01\x03\x01", 5), errc::parse_error);  // SSLv2-style hello
    refusal(std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9), errc::parse_error);  // ServerHello type
    // An alert record in the middle of a split hello.
    const std::string message = hello_message({sni_extension({"a.example.org"})});
    refusal(records(message.substr(0, 20)) + std::string("\x15\x03\x03\x00\x02\x02\x28", 7), errc::parse_error);
}

TEST(ClientHello, NoNameSeveralNamesOtherTypes) {
    EXPECT_NE(refusal(records(hello_message({extension(43, std::string("\x02\x03\x04", 3))})), errc::unsupported).find("SNI"),
              std::string::npos);
    EXPECT_NE(refusal(records(hello_message({}, false)), errc::unsupported).find("SNI"), std::string::npos);
    EXPECT_NE(refusal(records(hello_message({sni_extension({"a.example.com", "b.example.com"})})), errc::unsupported)
                  .find("several"),
              std::string::npos);
    refusal(records(hello_message({sni_extension({"a.example.com"}, 1)})), errc::unsupported);
}

TEST(ClientHello, EncryptedClientHelloIsRefused) {
    for (std::uint16_t type : {0xfe0d, 0xfe0a, 0xffce}) {
        const auto bytes = records(hello_message({sni_extension({"public.example.com"}), extension(type, "xxxxxxxx")}));
        EXPECT_NE(refusal(bytes, errc::unsupported).find("Encrypted Client Hello"), std::string::npos) << type;
    }
}

TEST(ClientHello, MalformedLengths) {
    refusal(records(hello_message({sni_extension({"a.example.com"}), extension(10, "ab"), extension(10, "ab")})),
            errc::parse_error);                                          // duplicate extension
    refusal(records(hello_message({extension(0, u16(0))})), errc::parse_error);  // empty server_name list
    refusal(records(hello_message({extension(0, u16(9) + std::string(1, '\0') + u16(5) + "a.com")})), errc::parse_error);
    std::string message = hello_message({sni_extension({"a.example.com"})});
    refusal(records(message + "x"), errc::parse_error);  // bytes after the hello in its record
    message[3] = static_cast<char>(message[3] + 1);      // hello longer than its extensions
    auto r = parse_client_hello(records(message));
    EXPECT_FALSE(r && *r);
    refusal(std::string("\x16\x03\x01\x00\x00", 5), errc::parse_error);       // empty record
    refusal(std::string("\x16\x03\x01\x40\x01", 5), errc::parse_error);       // record over 2^14
    refusal(std::string("\x16\x03\x07\x00\x10", 5), errc::parse_error);       // unknown record version
}

TEST(ClientHello, SizeLimit) {
    const std::string bytes = records(hello_message({sni_extension({"a.example.com"}), extension(21, std::string(20000, '\0'))}));
    EXPECT_NE(refusal(bytes, errc::limit_exceeded).find("limit"), std::string::npos);
    // Refused as soon as the declared size is known, before it is buffered.
    EXPECT_TRUE(failed_with(parse_client_hello(bytes.substr(0, 9)), errc::limit_exceeded));
    const std::string fits = client_hello_for("a.example.com");
    EXPECT_TRUE(failed_with(parse_client_hello(fits, fits.size() - 1), errc::limit_exceeded));
}

TEST(ClientHello, NameBytesAreReturnedAsSent) {
    // The proxy canonicalises and compares; the parser must not hide bytes.
    EXPECT_EQ(name_of(client_hello_for(std::string("a.example.com\0.evil", 19))), std::string("a.example.com\0.evil", 19));
    EXPECT_EQ(name_of(client_hello_for("API.Example.COM.")), "API.Example.COM.");
}

}  // namespace
