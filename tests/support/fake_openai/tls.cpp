#include "tls.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace fake_openai {

namespace {

struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_free {
  void operator()(X509* x) const { X509_free(x); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
using cert_ptr = std::unique_ptr<X509, cert_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

cert_ptr make_cert(EVP_PKEY* key, EVP_PKEY* signer, X509* issuer, const char* cn, long serial, bool ca) {
  cert_ptr x(X509_new());
  check(x != nullptr, "X509_new");
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 30L * 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pipewright tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer_cert = issuer ? issuer : x.get();
  X509_set_issuer_name(x.get(), X509_get_subject_name(signer_cert));
  if (ca) {
    add_ext(x.get(), signer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x.get(), signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(x.get(), signer_cert, NID_subject_key_identifier, "hash");
  } else {
    add_ext(x.get(), signer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x.get(), signer_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x.get(), signer_cert, NID_ext_key_usage, "serverAuth");
    add_ext(x.get(), signer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_ext(x.get(), signer_cert, NID_authority_key_identifier, "keyid:always");
  }
  check(X509_sign(x.get(), signer, EVP_sha256()) > 0, "X509_sign");
  return x;
}

void write_cert(const std::string& path, X509* x) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "open cert file");
  PEM_write_X509(f, x);
  std::fclose(f);
}

void write_key(const std::string& path, EVP_PKEY* k) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "open key file");
  PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace

tls_files make_tls_files(const std::string& dir) {
  key_ptr ca_key(EVP_EC_gen("P-256"));
  key_ptr server_key(EVP_EC_gen("P-256"));
  check(ca_key && server_key, "EVP_EC_gen");
  auto ca = make_cert(ca_key.get(), ca_key.get(), nullptr, "pipewright test CA", 1, true);
  auto server = make_cert(server_key.get(), ca_key.get(), ca.get(), "127.0.0.1", 2, false);
  tls_files out{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  write_cert(out.ca_pem, ca.get());
  write_cert(out.cert_pem, server.get());
  write_key(out.key_pem, server_key.get());
  return out;
}

}  // namespace fake_openai
