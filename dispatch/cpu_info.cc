// What the CPU says about itself, read the way the dispatcher's view is
// formed (CPUID on x86, the auxiliary vector on Arm) rather than from
// /proc/cpuinfo, so that an emulated CPU (qemu -cpu MODEL) reports the
// model's features and not the host's.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "simdkit/dispatch.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#endif

namespace simdkit {
namespace {

struct Feature {
  const char* name;
  int word;  // index into the register words read below
  int bit;
};

#if defined(__x86_64__) || defined(__i386__)

// Words: 0 = CPUID.1:ECX, 1 = CPUID.1:EDX, 2 = CPUID.7.0:EBX, 3 = CPUID.7.0:ECX,
// 4 = CPUID.7.1:EAX.
constexpr Feature kFeatures[] = {
    {"sse2", 1, 26},         {"sse3", 0, 0},          {"ssse3", 0, 9},
    {"sse4.1", 0, 19},       {"sse4.2", 0, 20},       {"popcnt", 0, 23},
    {"aes", 0, 25},          {"pclmulqdq", 0, 1},     {"avx", 0, 28},
    {"f16c", 0, 29},         {"fma", 0, 12},          {"bmi1", 2, 3},
    {"bmi2", 2, 8},          {"avx2", 2, 5},          {"avx512f", 2, 16},
    {"avx512dq", 2, 17},     {"avx512cd", 2, 28},     {"avx512bw", 2, 30},
    {"avx512vl", 2, 31},     {"avx512vbmi", 3, 1},    {"avx512vbmi2", 3, 6},
    {"gfni", 3, 8},          {"vaes", 3, 9},          {"vpclmulqdq", 3, 10},
    {"avx512vnni", 3, 11},   {"avx512bitalg", 3, 12}, {"avx512vpopcntdq", 3, 14},
    {"avx_vnni", 4, 4},      {"avx512bf16", 4, 5},
};

std::vector<uint32_t> FeatureWords() {
  uint32_t a = 0, b = 0, c = 0, d = 0;
  std::vector<uint32_t> words(5, 0);
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    words[0] = c;
    words[1] = d;
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    words[2] = b;
    words[3] = c;
    if (a >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) words[4] = a;
  }
  return words;
}

std::string BrandString() {
  uint32_t regs[12] = {};
  uint32_t max_leaf = __get_cpuid_max(0x80000000u, nullptr);
  if (max_leaf < 0x80000004u) return "";
  for (uint32_t i = 0; i < 3; ++i) {
    __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                &regs[4 * i + 3]);
  }
  char brand[49] = {};
  std::memcpy(brand, regs, 48);
  return brand;
}

#elif defined(__aarch64__) && defined(__linux__)

// Words: 0 = AT_HWCAP, 1 = AT_HWCAP2.
constexpr Feature kFeatures[] = {
    {"asimd", 0, 1},     {"aes", 0, 3},       {"pmull", 0, 4},   {"crc32", 0, 7},
    {"atomics", 0, 8},   {"asimdhp", 0, 10},  {"asimddp", 0, 20}, {"sve", 0, 22},
    {"sve2", 1, 1},      {"svei8mm", 1, 9},   {"svebf16", 1, 12}, {"i8mm", 1, 13},
    {"bf16", 1, 14},
};

std::vector<uint32_t> FeatureWords() {
  return {static_cast<uint32_t>(getauxval(AT_HWCAP)), static_cast<uint32_t>(getauxval(AT_HWCAP2))};
}

// MIDR_EL1, which Linux (and qemu-user) let user code read when HWCAP_CPUID
// is set. /proc/cpuinfo has no model name on Arm, and under qemu-user it is
// the host's.
std::string BrandString() {
  if ((getauxval(AT_HWCAP) & HWCAP_CPUID) == 0) return "";
  uint64_t midr = 0;
  asm("mrs %0, midr_el1" : "=r"(midr));
  const unsigned implementer = (midr >> 24) & 0xff, part = (midr >> 4) & 0xfff;
  struct Part {
    unsigned implementer, part;
    const char* name;
  };
  constexpr Part kParts[] = {
      {0x41, 0xd03, "Arm Cortex-A53"},   {0x41, 0xd07, "Arm Cortex-A57"},
      {0x41, 0xd08, "Arm Cortex-A72"},   {0x41, 0xd0b, "Arm Cortex-A76"},
      {0x41, 0xd0c, "Arm Neoverse N1"},  {0x41, 0xd40, "Arm Neoverse V1"},
      {0x41, 0xd49, "Arm Neoverse N2"},  {0x41, 0xd4f, "Arm Neoverse V2"},
      {0x46, 0x001, "Fujitsu A64FX"},    {0xc0, 0xac3, "Ampere-1"},
  };
  char id[32];
  std::snprintf(id, sizeof(id), "MIDR 0x%08llx", static_cast<unsigned long long>(midr));
  for (const Part& known : kParts) {
    if (known.implementer == implementer && known.part == part) {
      return std::string(known.name) + " (" + id + ")";
    }
  }
  return std::string("Arm CPU (") + id + ")";
}

#else

constexpr Feature kFeatures[] = {{"", 0, 0}};
std::vector<uint32_t> FeatureWords() { return {0}; }
std::string BrandString() { return ""; }

#endif

std::string Trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string ModelFromProcCpuinfo() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      return Trimmed(line.substr(line.find(':') + 1));
    }
  }
  return "";
}

}  // namespace

std::string cpu_model() {
  std::string model = Trimmed(BrandString());
  if (model.empty()) model = ModelFromProcCpuinfo();
  return model.empty() ? "unknown CPU" : model;
}

std::vector<std::string> cpu_features() {
  const std::vector<uint32_t> words = FeatureWords();
  std::vector<std::string> present;
  for (const Feature& feature : kFeatures) {
    if (*feature.name != '\0' && (words[feature.word] >> feature.bit) & 1u) {
      present.emplace_back(feature.name);
    }
  }
#if defined(__aarch64__) && defined(__linux__) && defined(PR_SVE_GET_VL)
  const int vector_length = prctl(PR_SVE_GET_VL);
  if (vector_length > 0 && (getauxval(AT_HWCAP) & HWCAP_SVE)) {
    present.push_back("sve_bits=" + std::to_string(8 * (vector_length & PR_SVE_VL_LEN_MASK)));
  }
#endif
  return present;
}

}  // namespace simdkit
