#include "trace_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "random.hpp"

namespace mtsim {
namespace {

constexpr std::string_view kInternalDomain = "contoso.com";

constexpr std::string_view kFirstNames[] = {
    "adele", "alex",   "allan",  "brian",     "cameron", "christie", "debra",   "diego",
    "emily", "enrico", "grady",  "henrietta", "irvin",   "isaiah",   "johanna", "joni",
    "lee",   "lidia",  "lynne",  "megan",     "miriam",  "nestor",   "patti",   "pradeep",
    "raul",  "sanjay", "stella", "tomasz",    "valeria", "wei",      "yuki",    "zoe"};
constexpr std::string_view kLastNames[] = {
    "vance",   "wilber",  "deyoung",  "johnson", "lambert", "burke",    "zbinden",   "siciliani",
    "braxton", "mercado", "archie",   "cerrato", "mueller", "kowalski", "lindqvist", "nakamura",
    "okafor",  "patel",   "quintero", "rossi",   "schmidt", "tanaka",   "dubois",    "fernandez"};
constexpr std::string_view kExternalDomains[] = {
    "fabrikam.com",      "northwindtraders.com", "adatum.com",
    "wingtiptoys.com",   "litwareinc.com",       "tailspintoys.com",
    "woodgrovebank.com", "example.org",          "mail.contractor.example.net",
    "proseware.com",     "fourthcoffee.com",     "alpineskihouse.com"};
constexpr std::string_view kServiceSenders[] = {
    "azure-noreply@microsoft.com",
    "no-reply@sharepointonline.com",
    "noreply@notifications.example.org",
    "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com",
    "postmaster@contoso.onmicrosoft.com",
    "newsletter@news.fabrikam.com"};
constexpr std::string_view kMessageHosts[] = {"AM6PR03MB4123.eurprd03.prod.outlook.com",
                                              "DM6PR11MB2937.namprd11.prod.outlook.com",
                                              "PAXPR08MB7106.eurprd08.prod.outlook.com",
                                              "SJ0PR12MB5470.namprd12.prod.outlook.com",
                                              "mail.gmail.com",
                                              "az.uksouth.production.microsoft.com",
                                              "smtp.fabrikam.com"};

constexpr std::string_view kPrefixes[] = {
    "", "", "", "", "Re: ", "RE: ", "Fwd: ", "FW: ", "TR: ", "AW: ", "[EXTERNAL] ", "Re: Re: "};
constexpr std::string_view kBases[] = {
    "Quarterly report",
    "Invoice for services rendered",
    "Meeting notes",
    "Project update",
    "Weekly sync",
    "Action required: your password expires in 7 days",
    "Your order has shipped",
    "Budget review FY26",
    "Security alert: new sign-in detected",
    "Automatic reply: Out of office",
    "Contract renewal",
    "Team lunch on Thursday",
    "Release notes",
    "Incident resolved",
    "Purchase order",
    "Welcome aboard",
    "Customer feedback summary",
    "Travel itinerary",
    "Document shared with you",
    "Reminder: timesheets are due Friday",
    "Board presentation draft",
    "PIM: A privileged directory role was assigned outside of PIM",
    "Delivery Status Notification (Failure)",
    "Undeliverable: Monthly report",
    "Accepted: Architecture review",
    "Daily digest",
    "Your Microsoft 365 trial is ending",
    "Expense claim approved",
    "Candidate interview schedule",
    "Newsletter - product news"};
constexpr std::string_view kWords[] = {
    "for",      "the",        "regional",      "sales",    "team",       "review",
    "pending",  "approval",   "draft",         "final",    "EMEA",       "APAC",
    "update",   "schedule",   "- please read", "(v2)",     "and",        "budget",
    "planning", "next steps", "follow-up",     "Q1",       "Q2",         "Q3",
    "Q4",       "2026",       "north",         "customer", "onboarding", "migration",
    "Exchange", "Online",     "rollout",       "phase 2",  "vendor",     "compliance",
    "audit",    "minutes",    "agenda",        "attached", "overview",   "status"};
// Non-ASCII subjects: accents, CJK, emoji (outside the BMP), Cyrillic, Greek, U+2028.
constexpr std::string_view kUnicodeSubjects[] = {
    "R\xC3\xA9union d'\xC3\xA9quipe \xE2\x80\x93 ordre du jour",
    "\xE4\xBC\x9A\xE8\xAD\xB0\xE3\x81\xAE\xE3\x81\x8A\xE7\x9F\xA5\xE3\x82\x89\xE3\x81\x9B "
    "\xEF\xBC\x88\xE6\x97\xA5\xE6\x9C\xAC\xEF\xBC\x89",
    "Gr\xC3\xBC\xC3\x9F"
    "e aus M\xC3\xBCnchen \xE2\x80\x93 Angebot",
    "\xF0\x9F\x93\x8E Contract attached \xE2\x9C\x85",
    "\xD0\xA1\xD1\x87\xD1\x91\xD1\x82 \xD0\xBD\xD0\xB0 \xD0\xBE\xD0\xBF\xD0\xBB\xD0\xB0\xD1\x82"
    "\xD1\x83 \xE2\x84\x96 4471",
    "\xC2\xBF"
    "Caf\xC3\xA9 ma\xC3\xB1"
    "ana? \xE2\x98\x95",
    "\xCE\xA0\xCF\x81\xCE\xBF\xCF\x83\xCF\x86\xCE\xBF\xCF\x81\xCE\xAC \xCE\xB3\xCE\xB9\xCE\xB1 "
    "\xCF\x84\xCE\xBF 2026",
    "\xE5\xA0\xB1\xE5\x91\x8A\xE6\x9B\xB8 2026\xE5\xB9\xB4\xE7\xAC\xAC"
    "1\xE5\x9B\x9B\xE5\x8D\x8A"
    "\xE6\x9C\x9F",
    "R\xC3\xA9sum\xC3\xA9 \xE2\x80\x93 candidature spontan\xC3\xA9"
    "e",
    "\xF0\x9F\x94\xA5 Flash sale 50% off \xF0\x9F\x9B\x92",
    "Line\xE2\x80\xA8separator in subject"};
constexpr std::string_view kQuotedSubjects[] = {"Re: \"Project Phoenix\" kickoff",
                                                "Invoice \"INV-2026-0417\" is overdue",
                                                "Comments on the \"final\" \"final\" version"};
constexpr std::string_view kBackslashSubjects[] = {"Scan saved to \\\\fs01\\scans\\2026\\0117.pdf",
                                                   "Path C:\\Users\\Public\\report.xlsx",
                                                   "Regex \\d+\\.\\d+ does not match"};
constexpr std::string_view kControlSubjects[] = {"Column A\tColumn B", "Broken\x01subject",
                                                 "Two\nlines",
                                                 "Bell\x07"
                                                 "and\x1F unit separator"};

template <typename T, size_t N>
const T& Pick(Random& random, const T (&items)[N]) {
  return items[random.Below(N)];
}

std::string Person(Random& random, std::string_view domain) {
  std::string address(Pick(random, kFirstNames));
  address += '.';
  address += Pick(random, kLastNames);
  if (random.Chance(0.3)) address += std::to_string(random.Below(100));
  address += '@';
  address += domain;
  return address;
}

std::string PublicIpv4(Random& random) {
  static constexpr int kPrefixesA[][2] = {{40, 107}, {52, 100}, {209, 85}, {203, 0},
                                          {198, 51}, {104, 47}, {185, 12}};
  const auto& p = Pick(random, kPrefixesA);
  return std::to_string(p[0]) + "." + std::to_string(p[1]) + "." +
         std::to_string(random.Below(256)) + "." + std::to_string(1 + random.Below(254));
}

std::string Ipv6(Random& random) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "2a01:111:f403:%x::%x",
                static_cast<unsigned>(0xc200 + random.Below(0x100)),
                static_cast<unsigned>(1 + random.Below(0xfff)));
  return buf;
}

std::string InternalIpv4(Random& random) {
  return "10." + std::to_string(random.Below(256)) + "." + std::to_string(random.Below(256)) + "." +
         std::to_string(1 + random.Below(254));
}

// Subjects average about 60 bytes; odd ones test byte-exact forwarding.
std::optional<std::string> Subject(Random& random, JsonEscaping& escaping) {
  escaping = JsonEscaping::kUtf8;
  const double kind = random.Unit();
  if (kind < 0.03) return std::nullopt;
  if (kind < 0.04) return std::string();
  std::string subject(Pick(random, kPrefixes));
  if (kind < 0.10) {
    subject += Pick(random, kUnicodeSubjects);
    if (random.Chance(0.35)) escaping = JsonEscaping::kAscii;
  } else if (kind < 0.13) {
    subject += Pick(random, kQuotedSubjects);
  } else if (kind < 0.15) {
    subject += Pick(random, kBackslashSubjects);
  } else if (kind < 0.16) {
    subject += Pick(random, kControlSubjects);
  } else {
    subject += Pick(random, kBases);
  }
  const size_t target = random.Below(64);
  while (subject.size() < target) {
    subject += ' ';
    subject += Pick(random, kWords);
  }
  if (random.Chance(0.2)) subject += " #" + std::to_string(random.Below(1000000));
  return subject;
}

TraceStatus Status(Random& random, bool inbound) {
  const double x = random.Unit();
  if (inbound && x < 0.03) return TraceStatus::kFilteredAsSpam;
  if (inbound && x < 0.05) return TraceStatus::kQuarantined;
  if (x < 0.08) return TraceStatus::kFailed;
  if (x < 0.10) return TraceStatus::kPending;
  if (x < 0.12) return TraceStatus::kGettingStatus;
  if (x < 0.14) return TraceStatus::kExpanded;
  if (x < 0.145) return TraceStatus::kRecalled;
  return TraceStatus::kDelivered;
}

struct MessageSlot {
  Micros time;
  std::uint64_t seed;
  std::uint32_t order;
  std::uint32_t recipients;
};

}  // namespace

std::string_view GraphStatusName(TraceStatus status) {
  switch (status) {
    case TraceStatus::kGettingStatus:
      return "gettingStatus";
    case TraceStatus::kPending:
      return "pending";
    case TraceStatus::kFailed:
      return "failed";
    case TraceStatus::kDelivered:
      return "delivered";
    case TraceStatus::kExpanded:
      return "expanded";
    case TraceStatus::kQuarantined:
      return "quarantined";
    case TraceStatus::kFilteredAsSpam:
      return "filteredAsSpam";
    case TraceStatus::kRecalled:
      return "recalled";
  }
  return "unknownFutureValue";
}

std::string_view ReportingStatusName(TraceStatus status) {
  switch (status) {
    case TraceStatus::kGettingStatus:
      return "GettingStatus";
    case TraceStatus::kPending:
      return "Pending";
    case TraceStatus::kFailed:
      return "Failed";
    case TraceStatus::kDelivered:
      return "Delivered";
    case TraceStatus::kExpanded:
      return "Expanded";
    case TraceStatus::kQuarantined:
      return "Quarantined";
    case TraceStatus::kFilteredAsSpam:
      return "FilteredAsSpam";
    case TraceStatus::kRecalled:
      return "Recalled";
  }
  return "None";
}

void GenerateTraces(const TraceGeneratorOptions& options,
                    const std::function<void(const TraceRecord&)>& sink) {
  // Pass 1: when each message arrived and how many recipients it has, then time order.
  // Pass 2 rebuilds each message from its own seed, so all rows never sit in memory at once.
  Random random(options.seed);
  std::vector<MessageSlot> slots;
  slots.reserve(options.records * 3 / 4 + 1);
  size_t remaining = options.records;
  while (remaining > 0) {
    std::uint32_t recipients = random.Chance(1.0 / 3) ? (random.Chance(0.5) ? 2 : 3) : 1;
    recipients = static_cast<std::uint32_t>(std::min<size_t>(recipients, remaining));
    Micros time;
    if (!slots.empty() && random.Chance(0.3)) {
      // A busy second: same second as an earlier message.
      const Micros second = slots[random.Below(slots.size())].time / kMicrosPerSecond;
      time = second * kMicrosPerSecond +
             (options.whole_seconds ? 0 : static_cast<Micros>(random.Below(kMicrosPerSecond)));
    } else {
      time = random.Between(options.oldest, options.newest);
      if (options.whole_seconds) time -= time % kMicrosPerSecond;
    }
    time = std::clamp(time, options.oldest, options.newest);
    if (options.whole_seconds && time % kMicrosPerSecond != 0) {
      time += kMicrosPerSecond - time % kMicrosPerSecond;  // oldest was mid-second
    }
    slots.push_back({time, random.Next(), static_cast<std::uint32_t>(slots.size()), recipients});
    remaining -= recipients;
  }
  std::sort(slots.begin(), slots.end(), [](const MessageSlot& a, const MessageSlot& b) {
    return a.time != b.time ? a.time < b.time : a.order < b.order;
  });

  TraceRecord record;
  for (const MessageSlot& slot : slots) {
    Random message(slot.seed);
    const double direction = message.Unit();
    const bool inbound = direction < 0.45;
    const bool outbound = !inbound && direction < 0.75;
    const std::string_view external = Pick(message, kExternalDomains);
    if (inbound) {
      record.sender = message.Chance(0.15) ? std::string(Pick(message, kServiceSenders))
                                           : Person(message, external);
      record.from_ip = message.Chance(0.15) ? Ipv6(message) : PublicIpv4(message);
    } else {
      record.sender = Person(message, kInternalDomain);
      record.from_ip = message.Chance(0.05) ? std::string() : InternalIpv4(message);
    }
    record.received = slot.time;
    record.trace_id = message.Guid();
    record.message_id =
        "<" + message.Guid() + "@" + std::string(Pick(message, kMessageHosts)) + ">";
    record.subject = Subject(message, record.subject_escaping);
    const double u = message.Unit();
    record.size = static_cast<std::int64_t>(1500 + 25e6 * std::pow(u, 6.0)) + message.Below(9000);
    std::vector<std::string> recipients;
    for (std::uint32_t i = 0; i < slot.recipients; ++i) {
      do {
        record.recipient = Person(message, outbound ? external : kInternalDomain);
      } while (std::find(recipients.begin(), recipients.end(), record.recipient) !=
               recipients.end());
      recipients.push_back(record.recipient);
      record.to_ip = message.Chance(0.65) ? std::string() : PublicIpv4(message);
      record.status = Status(message, inbound);
      sink(record);
    }
  }
}

}  // namespace mtsim
