// TLS material for tests, made with the openssl command.
#ifndef AFFECT_TESTS_TESTING_TEST_CERTIFICATES_H_
#define AFFECT_TESTS_TESTING_TEST_CERTIFICATES_H_

#include <string>

namespace affect::testing {

// Writes into `dir`: ca.pem/ca.key (a CA), server.pem/server.key (for
// 127.0.0.1 and localhost) and client.pem/client.key, both signed by the CA.
// False (with a test failure) when openssl fails.
bool MakeTestCertificates(const std::string& dir);

}  // namespace affect::testing

#endif  // AFFECT_TESTS_TESTING_TEST_CERTIFICATES_H_
