#pragma once

// Test-only certificates, made at run time with OpenSSL (no private key is committed).
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

namespace sekoia::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;  ///< PKCS#8, unencrypted
};

namespace detail {

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return text;
}

inline EVP_PKEY* NewKey(bool rsa) {
  EVP_PKEY* key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!key) throw std::runtime_error("key generation failed");
  return key;
}

}  // namespace detail

/**
 * A self-signed certificate for CN=`common_name` valid from now + `valid_from_seconds` to
 * now + `valid_to_seconds` (negative: in the past), with the subjectAltName `alt_name` when
 * given (e.g. "IP:127.0.0.1"). RSA 2048 unless `rsa` is false (P-256).
 */
inline TestCertificate MakeTestCertificate(const std::string& common_name = "test-only",
                                           long valid_from_seconds = -60,
                                           long valid_to_seconds = 86400,
                                           const std::string& alt_name = "", bool rsa = true) {
  EVP_PKEY* key = detail::NewKey(rsa);
  X509* x509 = X509_new();
  X509_set_version(x509, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), valid_from_seconds);
  X509_gmtime_adj(X509_getm_notAfter(x509), valid_to_seconds);
  X509_set_pubkey(x509, key);
  X509_NAME* name = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x509, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509, x509, nullptr, nullptr, 0);
  if (!alt_name.empty()) {
    X509_EXTENSION* extension =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, alt_name.c_str());
    X509_add_ext(x509, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_EXTENSION* basic =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(x509, basic, -1);
  X509_EXTENSION_free(basic);
  if (X509_sign(x509, key, EVP_sha256()) == 0)
    throw std::runtime_error("certificate signing failed");

  TestCertificate out;
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, x509);
  out.certificate_pem = detail::BioText(cert_bio);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_key_pem = detail::BioText(key_bio);
  X509_free(x509);
  EVP_PKEY_free(key);
  return out;
}

/** `key_pem` encrypted with AES-256 under `passphrase` (PKCS#8 ENCRYPTED PRIVATE KEY). */
inline std::string EncryptPrivateKey(const std::string& key_pem, const std::string& passphrase) {
  BIO* in = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), passphrase.c_str(),
                                static_cast<int>(passphrase.size()), nullptr, nullptr);
  EVP_PKEY_free(key);
  return detail::BioText(out);
}

}  // namespace sekoia::testing
