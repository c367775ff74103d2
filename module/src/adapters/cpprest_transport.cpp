#include <cpprest/http_client.h>
#include <pplx/threadpool.h>

#include <map>
#include <mutex>

#include "sekoia/errors.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {
namespace {

class CpprestTransport final : public HttpTransport {
 public:
  explicit CpprestTransport(const CpprestTransportOptions& options) : options_(options) {}

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
    if (!request.body.empty() || request.method == "POST") message.set_body(request.body, content_type);

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
      config.set_validate_certificates(true);
      it = clients_.emplace(origin, std::make_unique<web::http::client::http_client>(origin, config)).first;
    }
    return *it->second;
  }

  CpprestTransportOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<web::http::client::http_client>> clients_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCpprestTransport(const CpprestTransportOptions& options) {
  return std::make_unique<CpprestTransport>(options);
}

void InitializeHttpThreads(std::size_t threads) { crossplat::threadpool::initialize_with_threads(threads); }

}  // namespace sekoia::http
