#include "compute/number_format.h"

#include <string>

#include "gtest/gtest.h"

namespace trainsim::compute {
namespace {

TEST(NumberFormat, StorageBitsIncludeAmortisedScaleBits) {
  // element bits + scale bits / block size.
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kMxfp4)), 4 + 8.0 / 32);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kMxfp6)), 6 + 8.0 / 32);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kMxfp8)), 8 + 8.0 / 32);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kNvfp4)), 4 + 8.0 / 16);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kInt4Vsq)), 4 + 8.0 / 16);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Vsq(Format::kInt8, 64, 8)), 8 + 8.0 / 64);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Vsq(Format::kInt4, 32, 6)), 4 + 6.0 / 32);
}

TEST(NumberFormat, UnscaledFormatsStoreOnlyTheirElements) {
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kFp32)), 32);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kTf32)), 32);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kBf16)), 16);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kFp8E5M2)), 8);
  EXPECT_DOUBLE_EQ(StorageBitsPerElement(NumberFormat::Of(Format::kInt4)), 4);
}

TEST(NumberFormat, EveryCanonicalNameParsesBackToItsFormat) {
  for (Format f : AllFormats()) {
    const NumberFormat nf = NumberFormat::Of(f);
    StatusOr<NumberFormat> parsed = ParseNumberFormat(ToString(nf));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, nf) << FormatName(f);
    EXPECT_TRUE(ValidateNumberFormat(nf).ok()) << FormatName(f);
  }
}

TEST(NumberFormat, Fp8MeansE4M3AndNamesAreCaseInsensitive) {
  EXPECT_EQ(ParseNumberFormat("fp8").value(), NumberFormat::Of(Format::kFp8E4M3));
  EXPECT_EQ(ParseNumberFormat("BF16").value(), NumberFormat::Of(Format::kBf16));
  EXPECT_EQ(ParseNumberFormat("NVFP4").value(), NumberFormat::Of(Format::kNvfp4));
}

TEST(NumberFormat, VsqParametersRoundTripThroughTheirName) {
  const NumberFormat f = ParseNumberFormat("int4-vsq-v32-s6").value();
  EXPECT_EQ(f, NumberFormat::Vsq(Format::kInt4, 32, 6));
  EXPECT_EQ(ToString(f), "int4-vsq-v32-s6");
  EXPECT_EQ(ParseNumberFormat("int8-vsq-v64").value(), NumberFormat::Vsq(Format::kInt8, 64, 8));
  EXPECT_EQ(ParseNumberFormat("int4-vsq-s4").value(), NumberFormat::Vsq(Format::kInt4, 16, 4));
  EXPECT_EQ(ToString(NumberFormat::Of(Format::kInt4Vsq)), "int4-vsq");
}

TEST(NumberFormat, UnknownNameErrorListsTheValidNames) {
  StatusOr<NumberFormat> f = ParseNumberFormat("fp7");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  for (Format valid : AllFormats()) {
    EXPECT_NE(f.status().message().find(std::string(FormatName(valid))), std::string::npos)
        << f.status().message();
  }
  EXPECT_NE(f.status().message().find("\"fp7\""), std::string::npos);
}

TEST(NumberFormat, MalformedVsqSuffixesAreUnknownNames) {
  for (const char* name : {"int4-vsq-", "int4-vsq-vx", "int4-vsq-v", "int4-vsq-s", "int4-vsq-v16-",
                           "int4-vsq-s8-v16", "bf16-vsq", "mxfp4-v16"}) {
    EXPECT_FALSE(ParseNumberFormat(name).ok()) << name;
  }
}

TEST(NumberFormat, VsqVectorSizeMustBeBetween16And64) {
  StatusOr<NumberFormat> small = ParseNumberFormat("int4-vsq-v8");
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small.status().message().find("[16, 64]"), std::string::npos);
  EXPECT_FALSE(ParseNumberFormat("int4-vsq-v65").ok());
  EXPECT_TRUE(ParseNumberFormat("int4-vsq-v64").ok());
  EXPECT_FALSE(ValidateNumberFormat(NumberFormat::Vsq(Format::kInt4, 16, 0)).ok());
}

TEST(NumberFormat, MicroscalingBlockParametersAreFixedByTheFormat) {
  EXPECT_FALSE(
      ValidateNumberFormat({.format = Format::kMxfp4, .block_size = 16, .scale_bits = 8}).ok());
  EXPECT_FALSE(
      ValidateNumberFormat({.format = Format::kBf16, .block_size = 32, .scale_bits = 8}).ok());
  EXPECT_TRUE(
      ValidateNumberFormat({.format = Format::kNvfp4, .block_size = 16, .scale_bits = 8}).ok());
}

}  // namespace
}  // namespace trainsim::compute
