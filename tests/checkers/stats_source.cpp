#include "stats_source.hpp"

#include <stdexcept>
#include <utility>

#include <curl/curl.h>

namespace checkers {
namespace {

std::size_t Append(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

}  // namespace

std::string FetchText(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("GET " + url + ": curl_easy_init failed");
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    throw std::runtime_error("GET " + url + ": " +
                             (error[0] != '\0' ? error : curl_easy_strerror(code)));
  }
  if (status < 200 || status > 299) {
    throw std::runtime_error("GET " + url + ": HTTP " + std::to_string(status) + ": " +
                             body.substr(0, 300));
  }
  return body;
}

CurlStatsSource::CurlStatsSource(std::string base_url) : base_url_(std::move(base_url)) {}

nlohmann::json CurlStatsSource::Get(const std::string& path_and_query) {
  const std::string url = base_url_ + path_and_query;
  nlohmann::json value = nlohmann::json::parse(FetchText(url), nullptr, false);
  if (value.is_discarded()) throw std::runtime_error("GET " + url + ": the answer is not JSON");
  return value;
}

}  // namespace checkers
