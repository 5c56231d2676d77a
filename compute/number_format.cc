#include "compute/number_format.h"

#include <array>
#include <cctype>
#include <charconv>

#include "fmt/format.h"

namespace trainsim::compute {
namespace {

constexpr std::array kAllFormats = {
    Format::kFp32,    Format::kTf32,  Format::kBf16,  Format::kFp16,    Format::kFp8E4M3,
    Format::kFp8E5M2, Format::kInt8,  Format::kInt4,  Format::kInt8Vsq, Format::kInt4Vsq,
    Format::kMxfp8,   Format::kMxfp6, Format::kMxfp4, Format::kNvfp4,
};

std::string ValidNames() {
  std::string out;
  for (Format f : kAllFormats) {
    if (!out.empty()) out += ", ";
    out += FormatName(f);
  }
  return out +
         " (\"fp8\" means fp8-e4m3; VSQ takes optional -v<V> and -s<bits>, e.g. "
         "\"int4-vsq-v32-s6\")";
}

// Parses a positive decimal integer that is the whole of `s`.
bool ParsePositiveInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out > 0;
}

}  // namespace

std::span<const Format> AllFormats() { return kAllFormats; }

int ElementBits(Format f) {
  switch (f) {
    case Format::kFp32:
    case Format::kTf32:
      return 32;
    case Format::kBf16:
    case Format::kFp16:
      return 16;
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
    case Format::kInt8:
    case Format::kInt8Vsq:
    case Format::kMxfp8:
      return 8;
    case Format::kMxfp6:
      return 6;
    case Format::kInt4:
    case Format::kInt4Vsq:
    case Format::kMxfp4:
    case Format::kNvfp4:
      return 4;
  }
  TRAINSIM_CHECK(false) << "unknown Format " << static_cast<int>(f);
  return 0;
}

double StorageBitsPerElement(const NumberFormat& f) {
  const double element = ElementBits(f.format);
  if (f.block_size <= 0) return element;
  return element + static_cast<double>(f.scale_bits) / f.block_size;
}

bool IsVsq(Format f) { return f == Format::kInt8Vsq || f == Format::kInt4Vsq; }

bool IsBlockScaled(Format f) {
  switch (f) {
    case Format::kInt8Vsq:
    case Format::kInt4Vsq:
    case Format::kMxfp8:
    case Format::kMxfp6:
    case Format::kMxfp4:
    case Format::kNvfp4:
      return true;
    case Format::kFp32:
    case Format::kTf32:
    case Format::kBf16:
    case Format::kFp16:
    case Format::kFp8E4M3:
    case Format::kFp8E5M2:
    case Format::kInt8:
    case Format::kInt4:
      return false;
  }
  return false;
}

bool IsValidNumberFormat(const NumberFormat& f) {
  if (IsVsq(f.format)) {
    return f.block_size >= NumberFormat::kVsqMinVectorSize &&
           f.block_size <= NumberFormat::kVsqMaxVectorSize && f.scale_bits >= 1 &&
           f.scale_bits <= 32;
  }
  const NumberFormat standard = NumberFormat::Of(f.format);
  return f.block_size == standard.block_size && f.scale_bits == standard.scale_bits;
}

Status ValidateNumberFormat(const NumberFormat& f) {
  const std::string_view name = FormatName(f.format);
  if (IsVsq(f.format)) {
    if (f.block_size < NumberFormat::kVsqMinVectorSize ||
        f.block_size > NumberFormat::kVsqMaxVectorSize) {
      return InvalidArgumentError(fmt::format(
          "format {}: vector size V = {} is outside [{}, {}] (VS-Quant scales vectors of 16-64 "
          "elements)",
          name, f.block_size, NumberFormat::kVsqMinVectorSize, NumberFormat::kVsqMaxVectorSize));
    }
    if (f.scale_bits < 1 || f.scale_bits > 32) {
      return InvalidArgumentError(
          fmt::format("format {}: scale width {} bits is outside [1, 32]", name, f.scale_bits));
    }
    return OkStatus();
  }
  const NumberFormat standard = NumberFormat::Of(f.format);
  if (f.block_size != standard.block_size || f.scale_bits != standard.scale_bits) {
    return InvalidArgumentError(fmt::format(
        "format {}: block size {} and scale width {} bits must be {} and {} (fixed by the format)",
        name, f.block_size, f.scale_bits, standard.block_size, standard.scale_bits));
  }
  return OkStatus();
}

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kFp32:
      return "fp32";
    case Format::kTf32:
      return "tf32";
    case Format::kBf16:
      return "bf16";
    case Format::kFp16:
      return "fp16";
    case Format::kFp8E4M3:
      return "fp8-e4m3";
    case Format::kFp8E5M2:
      return "fp8-e5m2";
    case Format::kInt8:
      return "int8";
    case Format::kInt4:
      return "int4";
    case Format::kInt8Vsq:
      return "int8-vsq";
    case Format::kInt4Vsq:
      return "int4-vsq";
    case Format::kMxfp8:
      return "mxfp8";
    case Format::kMxfp6:
      return "mxfp6";
    case Format::kMxfp4:
      return "mxfp4";
    case Format::kNvfp4:
      return "nvfp4";
  }
  return "unknown";
}

std::string ToString(const NumberFormat& f) {
  std::string out(FormatName(f.format));
  if (IsVsq(f.format)) {
    if (f.block_size != NumberFormat::kVsqDefaultVectorSize) {
      out += fmt::format("-v{}", f.block_size);
    }
    if (f.scale_bits != NumberFormat::kVsqDefaultScaleBits) {
      out += fmt::format("-s{}", f.scale_bits);
    }
  }
  return out;
}

StatusOr<NumberFormat> ParseNumberFormat(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto unknown = [&] {
    return NotFoundError(
        fmt::format("unknown number format \"{}\"; valid formats: {}", name, ValidNames()));
  };
  std::string_view s = lower;
  if (s == "fp8") return NumberFormat::Of(Format::kFp8E4M3);
  for (Format f : kAllFormats) {
    const std::string_view base = FormatName(f);
    if (s == base) return NumberFormat::Of(f);
    if (!IsVsq(f) || !s.starts_with(base) || s.size() == base.size() || s[base.size()] != '-') {
      continue;
    }
    // VSQ parameters: "-v<V>" then "-s<bits>", each optional.
    NumberFormat out = NumberFormat::Of(f);
    std::string_view rest = s.substr(base.size());
    if (rest.starts_with("-v")) {
      const size_t end = rest.find('-', 2);
      if (!ParsePositiveInt(rest.substr(2, end - 2), out.block_size)) return unknown();
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    if (rest.starts_with("-s")) {
      if (!ParsePositiveInt(rest.substr(2), out.scale_bits)) return unknown();
      rest = {};
    }
    if (!rest.empty()) return unknown();
    if (Status st = ValidateNumberFormat(out); !st.ok()) return st;
    return out;
  }
  return unknown();
}

}  // namespace trainsim::compute
