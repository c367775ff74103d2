#include <cpprest/http_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pplx/threadpool.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "sekoia/errors.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {
namespace {

// Every certificate of a PEM bundle; throws std::invalid_argument when there is none.
std::vector<std::shared_ptr<X509>> ReadBundle(const std::string& pem) {
  std::vector<std::shared_ptr<X509>> certificates;
  if (pem.empty()) return certificates;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) certificates.emplace_back(x509, X509_free);
  BIO_free(bio);
  ERR_clear_error();  // the end of the bundle reads as an error
  if (certificates.empty()) throw std::invalid_argument("no PEM certificate in the CA bundle");
  return certificates;
}

class CpprestTransport final : public HttpTransport {
 public:
  explicit CpprestTransport(const CpprestTransportOptions& options)
      : options_(options), authorities_(ReadBundle(options.ca_bundle)), proxy_(SplitProxyUrl(options.proxy.https_proxy)) {}

  HttpResponse Send(const HttpRequest& request, const StopSignal& stop) override {
    auto url = ParseUrl(request.url);
    if (!url) throw TransportError("invalid URL");
    web::http::client::http_client& client = ClientFor(*url);

    web::http::http_request message(web::http::method(request.method));
    message.set_request_uri(url->path_and_query);
    bool has_user_agent = false;
    std::string content_type = "application/json";
    for (const auto& [name, value] : request.headers) {
      if (name == "Content-Type") {
        content_type = value;
        continue;
      }
      if (name == "User-Agent") has_user_agent = true;
      message.headers().add(name, value);
    }
    if (!has_user_agent && !options_.user_agent.empty()) message.headers().add("User-Agent", options_.user_agent);
    if (!request.body.empty() || request.method == "POST") {
      // Bytes, not set_body(std::string): that overload reads a char buffer through an unsigned
      // char stream, which UBSan reports as a bad downcast inside cpprest.
      message.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
      message.headers().set_content_type(content_type);
    }

    pplx::cancellation_token_source cancel;
    auto callback = stop.OnStop([&cancel] { cancel.cancel(); });
    struct Unregister {
      const StopSignal& stop;
      StopSignal::CallbackId id;
      ~Unregister() { stop.RemoveCallback(id); }
    } unregister{stop, callback};

    try {
      web::http::http_response answer = client.request(message, cancel.get_token()).get();
      HttpResponse response;
      response.status = answer.status_code();
      for (const auto& [name, value] : answer.headers()) response.headers.emplace_back(name, value);
      response.body = answer.extract_utf8string(true).get();
      return response;
    } catch (const pplx::task_canceled&) {
      if (stop.Requested()) throw StopRequested();
      throw TransportError("request cancelled");
    } catch (const web::http::http_exception& error) {
      if (stop.Requested()) throw StopRequested();
      throw TransportError(std::string("no answer from ") + url->host + ": " + error.what());
    } catch (const std::system_error& error) {
      throw TransportError(std::string("no answer from ") + url->host + ": " + error.what());
    }
  }

 private:
  web::http::client::http_client& ClientFor(const Url& url) {
    std::string origin = url.scheme + "://" + (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
                         ":" + std::to_string(url.port);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = clients_.find(origin);
    if (it == clients_.end()) {
      web::http::client::http_client_config config;
      config.set_timeout(options_.timeout);
      config.set_validate_certificates(true);  // chain and host name, for every https origin
      // cpprest follows up to 10 redirects by default, resending every header, Authorization
      // included, to whatever host a Location names: never. A 3xx goes back to the caller.
      config.set_max_redirects(0);
      if (url.scheme == "https" && !proxy_.url.empty() && !BypassesProxy(url.host, options_.proxy.no_proxy)) {
        web::web_proxy proxy{web::uri(proxy_.url)};
        if (!proxy_.user.empty()) proxy.set_credentials(web::credentials(proxy_.user, proxy_.password));
        config.set_proxy(proxy);
      } else {
        config.set_proxy(web::web_proxy(web::web_proxy::disabled));
      }
      if (!authorities_.empty()) {
        // Added to the system's authorities (cpprest loads the default paths before this call).
        config.set_ssl_context_callback([authorities = authorities_](boost::asio::ssl::context& context) {
          X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
          for (const auto& certificate : authorities) X509_STORE_add_cert(store, certificate.get());
        });
      }
      it = clients_.emplace(origin, std::make_unique<web::http::client::http_client>(origin, config)).first;
    }
    return *it->second;
  }

  CpprestTransportOptions options_;
  std::vector<std::shared_ptr<X509>> authorities_;
  ProxyAddress proxy_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<web::http::client::http_client>> clients_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCpprestTransport(const CpprestTransportOptions& options) {
  return std::make_unique<CpprestTransport>(options);
}

void CheckCaBundle(const std::string& pem) {
  if (ReadBundle(pem).empty()) throw std::invalid_argument("no PEM certificate in the CA bundle");
}

void InitializeHttpThreads(std::size_t threads) { crossplat::threadpool::initialize_with_threads(threads); }

}  // namespace sekoia::http
