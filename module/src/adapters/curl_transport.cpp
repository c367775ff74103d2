#include "sekoia/http/curl_transport.hpp"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {
namespace {

using Certificates = std::vector<std::shared_ptr<X509>>;

// Every certificate of a PEM bundle; throws std::invalid_argument when there is none.
Certificates ReadBundle(const std::string& pem) {
  Certificates certificates;
  if (pem.empty()) return certificates;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
    certificates.emplace_back(x509, X509_free);
  BIO_free(bio);
  ERR_clear_error();  // the end of the bundle reads as an error
  if (certificates.empty()) throw std::invalid_argument("no PEM certificate in the CA bundle");
  return certificates;
}

// libcurl's global state, set up once before any handle exists (curl_global_init is not
// thread-safe in 7.88) and never torn down: handles may live until exit.
void InitializeCurlOnce() {
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (initialized != CURLE_OK) throw std::runtime_error("libcurl could not be initialized");
}

std::string HostPort(const Url& url) {
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return host + ":" + std::to_string(url.port);
}

// What follows "SSL certificate problem: " in curl's message, e.g. "self-signed certificate in
// certificate chain"; else the whole message.
std::string CertificateProblem(const std::string& detail) {
  static const std::string kPrefix = "SSL certificate problem: ";
  const std::size_t at = detail.find(kPrefix);
  return at == std::string::npos ? detail : detail.substr(at + kPrefix.size());
}

/** What one request collects while it runs; the callbacks' user data. */
struct Transfer {
  const CurlTransportOptions* options = nullptr;
  const StopSignal* stop = nullptr;
  HttpResponse response;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  bool answer_too_large = false;
  bool error_body_cut = false;
  int os_error = 0;  ///< errno of the last failed system call, when libcurl knows it
};

constexpr std::size_t kMaxHeaderBytes = 64u << 10;

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  transfer->header_bytes += length;
  if (transfer->header_bytes > kMaxHeaderBytes) {
    transfer->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after a 100 Continue, say): only the final answer's headers count.
    transfer->response.headers.clear();
    const std::size_t space = line.find(' ');
    transfer->response.status = space == std::string_view::npos
                                    ? 0
                                    : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
    return length;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return length;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  transfer->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return length;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  std::string& body = transfer->response.body;
  const bool success = transfer->response.status >= 200 && transfer->response.status <= 299;
  const std::size_t limit =
      success ? transfer->options->max_answer_bytes : transfer->options->max_error_body_bytes;
  if (body.size() + length > limit) {
    // Checked as the decoded bytes arrive: an oversized answer is never held whole. An error
    // answer keeps its excerpt; a success this large is refused.
    if (success) {
      transfer->answer_too_large = true;
    } else {
      body.append(data, limit - body.size());
      transfer->error_body_cut = true;
    }
    return 0;  // ends the transfer (CURLE_WRITE_ERROR)
  }
  if (body.empty() && success) {
    // One allocation for the whole answer when its size is announced and not compressed.
    const std::string length_header = transfer->response.Header("Content-Length");
    if (!length_header.empty() && transfer->response.Header("Content-Encoding").empty()) {
      const unsigned long long announced = std::strtoull(length_header.c_str(), nullptr, 10);
      if (announced <= limit) body.reserve(static_cast<std::size_t>(announced));
    }
  }
  body.append(data, length);
  return length;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  // libcurl calls this at least once a second, even while nothing arrives.
  return static_cast<Transfer*>(user)->stop->Requested() ? 1 : 0;
}

CURLcode OnSslContext(CURL*, void* ssl_context, void* user) {
  // Adds the configured authorities to the system's, which libcurl has loaded already.
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_context));
  for (const auto& certificate : *static_cast<const Certificates*>(user))
    X509_STORE_add_cert(store, certificate.get());
  ERR_clear_error();  // a certificate already in the store is not a problem
  return CURLE_OK;
}

/** Connections, TLS sessions and DNS answers shared by every handle of one transport. */
class Share final {
 public:
  Share() : share_(curl_share_init()) {
    if (share_ == nullptr) throw std::runtime_error("libcurl: no share handle");
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~Share() { curl_share_cleanup(share_); }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;
  CURLSH* get() const { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->locks_[static_cast<std::size_t>(data) % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Share*>(user)->locks_[static_cast<std::size_t>(data) % kLocks].unlock();
  }

  static constexpr std::size_t kLocks = CURL_LOCK_DATA_LAST;
  CURLSH* share_;
  std::array<std::mutex, kLocks> locks_;
};

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const CurlTransportOptions& options)
      : options_(options),
        authorities_(ReadBundle(options.ca_bundle)),
        https_proxy_(SplitProxyUrl(options.proxy.https_proxy)),
        http_proxy_(SplitProxyUrl(options.proxy.http_proxy)) {
    InitializeCurlOnce();
    share_ = std::make_unique<Share>();
  }

  ~CurlTransport() override {
    // Handles first: the share cannot be cleaned up while a handle still uses it.
    idle_.clear();
    share_.reset();
  }

  HttpResponse Send(const HttpRequest& request, const StopSignal& stop) override {
    auto url = ParseUrl(request.url);
    if (!url)
      throw TransportError("refusing to send a request to a malformed URL: " +
                           DisplayUrl(request.url));
    if (stop.Requested()) throw StopRequested();

    Easy curl = Acquire();
    CURL* handle = curl.get();
    Transfer transfer;
    transfer.options = &options_;
    transfer.stop = &stop;
    char error_text[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(handle, CURLOPT_SHARE, share_->get());
    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!authorities_.empty()) {
      curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, &OnSslContext);
      curl_easy_setopt(handle, CURLOPT_SSL_CTX_DATA, &authorities_);
    }
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(options_.timeout.count() * 1000));
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count() * 1000));
    if (options_.stall_timeout.count() > 0) {
      curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, options_.min_bytes_per_second);
      curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME,
                       static_cast<long>(options_.stall_timeout.count()));
    }
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
    SetProxy(handle, *url);

    Slist headers = SetMethodAndHeaders(handle, request);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());

    const CURLcode result = curl_easy_perform(handle);
    long os_error = 0;
    curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_error);
    transfer.os_error = static_cast<int>(os_error);
    // A transfer cut short leaves its connection closed by libcurl; the handle stays reusable.
    Release(std::move(curl));

    if (result == CURLE_OK || (result == CURLE_WRITE_ERROR && transfer.error_body_cut)) {
      if (transfer.response.status == 0)
        throw TransportError(Describe(*url, "the answer had no HTTP status line"));
      return std::move(transfer.response);
    }
    if (result == CURLE_ABORTED_BY_CALLBACK && stop.Requested()) throw StopRequested();
    throw TransportError(Describe(*url, Explain(result, error_text, transfer)) + Through(*url));
  }

 private:
  Easy Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        Easy curl = std::move(idle_.back());
        idle_.pop_back();
        return curl;
      }
    }
    Easy curl(curl_easy_init());
    if (!curl) throw TransportError("libcurl could not create a request handle (out of memory?)");
    return curl;
  }

  void Release(Easy curl) {
    // Forgets this request's options (pointers into the caller's frame among them) before the
    // handle waits for its next use; keeps its connections and caches.
    curl_easy_reset(curl.get());
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(curl));
  }

  void SetProxy(CURL* handle, const Url& url) {
    const ProxyAddress& proxy = url.scheme == "https" ? https_proxy_ : http_proxy_;
    if (proxy.url.empty() || BypassesProxy(url.host, options_.proxy.no_proxy)) {
      // An empty string, not unset: libcurl would otherwise read the environment itself.
      curl_easy_setopt(handle, CURLOPT_PROXY, "");
      return;
    }
    curl_easy_setopt(handle, CURLOPT_PROXY, proxy.url.c_str());
    // An https request goes through a CONNECT tunnel; the CONNECT answer's headers are not ours.
    curl_easy_setopt(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    if (!proxy.user.empty()) {
      curl_easy_setopt(handle, CURLOPT_PROXYUSERNAME, proxy.user.c_str());
      curl_easy_setopt(handle, CURLOPT_PROXYPASSWORD, proxy.password.c_str());
    }
  }

  Slist SetMethodAndHeaders(CURL* handle, const HttpRequest& request) const {
    const bool has_body =
        !request.body.empty() || request.method == "POST" || request.method == "PUT";
    if (request.method == "GET") {
      curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (request.method == "POST") {
      curl_easy_setopt(handle, CURLOPT_POST, 1L);
    } else {
      curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (has_body) {
      // Points into the request, which outlives the transfer.
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_slist* list = nullptr;
    bool has_user_agent = false, has_content_type = false, has_accept_encoding = false;
    for (const auto& [name, value] : request.headers) {
      has_user_agent |= ::strcasecmp(name.c_str(), "User-Agent") == 0;
      has_content_type |= ::strcasecmp(name.c_str(), "Content-Type") == 0;
      has_accept_encoding |= ::strcasecmp(name.c_str(), "Accept-Encoding") == 0;
      // "Name;" is libcurl's way to send a header with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      list = curl_slist_append(list, line.c_str());
    }
    if (has_body && !has_content_type)
      list = curl_slist_append(list, "Content-Type: application/json");
    // No "Expect: 100-continue" round trip before a large body.
    list = curl_slist_append(list, "Expect:");
    if (!has_user_agent && !options_.user_agent.empty()) {
      curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
    }
    // Every encoding this libcurl decodes (gzip, deflate, br, zstd): Graph compresses its pages.
    if (!has_accept_encoding) curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");
    return Slist(list);
  }

  // "login_url login.microsoftonline.com:443: <what>", or "host:port: <what>" for a URL no
  // argument names.
  std::string Describe(const Url& url, const std::string& what) const {
    // Several arguments may name one origin (a test's simulator, an on-premises relay): all
    // are named.
    const std::string origin = Origin(url);
    std::string names;
    for (const auto& [service_origin, name] : options_.service_names) {
      if (service_origin != origin ||
          ("/" + names + "/").find("/" + name + "/") != std::string::npos)
        continue;
      names += (names.empty() ? "" : "/") + name;
    }
    return (names.empty() ? "" : names + " ") + HostPort(url) + ": " + what;
  }

  // " (through HTTPS_PROXY http://proxy:3128)" when the request went through a proxy, else "".
  std::string Through(const Url& url) const {
    const ProxyAddress& proxy = url.scheme == "https" ? https_proxy_ : http_proxy_;
    if (proxy.url.empty() || BypassesProxy(url.host, options_.proxy.no_proxy)) return "";
    return std::string(" (through ") + (url.scheme == "https" ? "HTTPS_PROXY " : "HTTP_PROXY ") +
           proxy.url + ")";
  }

  std::string Explain(CURLcode result, const char* error_text, const Transfer& transfer) const {
    std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(result);
    switch (result) {
      case CURLE_COULDNT_RESOLVE_HOST:
        return "the host name could not be resolved: check the URL, and the DNS of the container";
      case CURLE_COULDNT_RESOLVE_PROXY:
        return "the proxy's host name could not be resolved: check HTTPS_PROXY/HTTP_PROXY";
      case CURLE_COULDNT_CONNECT:
        if (transfer.os_error == ECONNREFUSED) return "connection refused";
        if (transfer.os_error == ENETUNREACH || transfer.os_error == EHOSTUNREACH) {
          // Not strerror: transfers run in several threads at once (intake batches in flight).
          return "the host is unreachable (" + std::generic_category().message(transfer.os_error) +
                 "): check the URL, the network and any firewall";
        }
        return "could not connect (" + detail + "): check the URL, the network and any firewall";
      case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
      case CURLE_SSL_CACERT:
#endif
        if (detail.find("subject name") != std::string::npos ||
            detail.find("host name") != std::string::npos) {
          return "the TLS certificate is for another host name (" + detail + "): check the URL";
        }
        return "the TLS certificate could not be verified (" + CertificateProblem(detail) +
               "): if a TLS-inspecting proxy is in the way, set ca_bundle to its CA";
      case CURLE_SSL_CONNECT_ERROR:
        return "the TLS handshake failed (" + detail + "): TLS 1.2 or later is required";
      case CURLE_OPERATION_TIMEDOUT:
        // libcurl's own words tell the phase: "Connection timed out after ...", "Resolving timed
        // out ...", "Operation too slow. Less than ...", "Operation timed out after ...".
        if (detail.rfind("Connection timed out", 0) == 0 ||
            detail.rfind("Resolving timed out", 0) == 0 ||
            detail.rfind("Failed to connect", 0) == 0) {
          return "no connection within " + std::to_string(options_.connect_timeout.count()) +
                 " s: check the URL, the network and any firewall";
        }
        if (detail.find("too slow") != std::string::npos ||
            detail.find("Less than") != std::string::npos) {
          return "the transfer stalled (less than " +
                 std::to_string(options_.min_bytes_per_second) + " bytes/s for " +
                 std::to_string(options_.stall_timeout.count()) + " s); treated as lost";
        }
        return "no complete answer within " + std::to_string(options_.timeout.count()) +
               " s (http_timeout); treated as lost";
      case CURLE_WRITE_ERROR:
        if (transfer.answer_too_large) {
          return "the answer is larger than " + std::to_string(options_.max_answer_bytes >> 20) +
                 " MiB, the limit for one answer: refused";
        }
        if (transfer.headers_too_large) {
          return "the answer's headers are larger than " + std::to_string(kMaxHeaderBytes >> 10) +
                 " KiB: refused";
        }
        return "the answer could not be received (" + detail + ")";
      case CURLE_TOO_MANY_REDIRECTS:
      case CURLE_GOT_NOTHING:
        return "the connection closed without an answer";
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
        if (detail.find("CONNECT") != std::string::npos)
          return "the proxy refused the tunnel (" + detail + ")";
        return "the connection was lost before the whole answer arrived (" + detail + ")";
      case CURLE_BAD_CONTENT_ENCODING:
        return "the answer's compression could not be decoded (" + detail + ")";
      case CURLE_ABORTED_BY_CALLBACK:
        return "request cancelled";
      default:
        return detail;
    }
  }

  static constexpr std::size_t kMaxIdleHandles = 8;

  CurlTransportOptions options_;
  Certificates authorities_;
  ProxyAddress https_proxy_;
  ProxyAddress http_proxy_;
  std::unique_ptr<Share> share_;
  std::mutex mutex_;
  std::vector<Easy> idle_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

void CheckCaBundle(const std::string& pem) {
  if (ReadBundle(pem).empty()) throw std::invalid_argument("no PEM certificate in the CA bundle");
}

}  // namespace sekoia::http
