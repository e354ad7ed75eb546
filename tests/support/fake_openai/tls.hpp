// A throwaway CA and a server certificate for 127.0.0.1 and localhost
// (OpenSSL, EC P-256), written as PEM files: the fake provider serves TLS
// with them and clients trust ca.pem.
#pragma once

#include <string>

namespace fake_openai {

struct tls_files {
  std::string ca_pem, cert_pem, key_pem;  // paths
};

// Throws std::runtime_error when OpenSSL fails.
tls_files make_tls_files(const std::string& dir);

}  // namespace fake_openai
