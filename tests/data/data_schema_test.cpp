#include "curvopt/data/data_schema.h"

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

TEST(FeatureStandardizer, FitsMeanAndPopulationDeviationAndKeepsConstantsAtScaleOne) {
  Matrix<float> x(3, 4);
  x << 1, 2, 3, 4,         // mean 2.5, deviation √1.25
      1e6, 1e6, 1e6, 1e6,  // constant: scale 1, maps to 0
      -2, 2, -2, 2;        // mean 0, deviation 2
  const FeatureStandardizer s = FeatureStandardizer::fit(x);
  ASSERT_EQ(s.mean.size(), 3u);
  EXPECT_DOUBLE_EQ(s.mean[0], 2.5);
  EXPECT_DOUBLE_EQ(s.scale[0], std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s.mean[1], 1e6);
  EXPECT_EQ(s.scale[1], 1.0);
  EXPECT_DOUBLE_EQ(s.scale[2], 2.0);
  Matrix<float> y = x;
  s.apply(y);
  for (Index r = 0; r < 3; ++r) {
    EXPECT_NEAR(y.row(r).sum(), 0.0f, 1e-6f);
    if (r != 1) {
      EXPECT_NEAR(y.row(r).squaredNorm() / 4, 1.0f, 1e-6f);
    }
  }
  EXPECT_EQ(y.row(1).norm(), 0.0f);
  EXPECT_EQ(y(2, 0), -1.0f);
  Matrix<float> wrong(2, 1);
  EXPECT_THROW(s.apply(wrong), ValueError);
  EXPECT_THROW(FeatureStandardizer::fit(Matrix<float>(3, 0)), ValueError);
}

TEST(DataSchema, RoundTripsThroughMetadataExactly) {
  DataSchema s;
  s.format = "csv";
  s.feature_columns = {"sepal length", "a,b", "100%", "tab\there"};
  s.target_columns = {"species"};
  s.header = false;
  s.delimiter = ';';
  s.kind = TargetKind::kClasses;
  s.target_encoding = "labels";
  s.num_classes = 3;
  s.class_names = {"Iris-setosa", "versi,color", "%"};
  s.loss = "softmax-cross-entropy";
  s.standardizer.mean = {0.1, -3e-300, 12345.678901234567};
  s.standardizer.scale = {1.0 / 3.0, 1e300, 2.5};
  const auto back = DataSchema::from_metadata(s.to_metadata(), "model.bin");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->format, s.format);
  EXPECT_EQ(back->feature_columns, s.feature_columns);
  EXPECT_EQ(back->target_columns, s.target_columns);
  EXPECT_EQ(back->header, false);
  EXPECT_EQ(back->delimiter, ';');
  EXPECT_EQ(back->kind, TargetKind::kClasses);
  EXPECT_EQ(back->target_encoding, "labels");
  EXPECT_EQ(back->num_classes, 3);
  EXPECT_EQ(back->class_names, s.class_names);
  EXPECT_EQ(back->loss, s.loss);
  EXPECT_EQ(back->standardizer.mean, s.standardizer.mean);  // bit for bit
  EXPECT_EQ(back->standardizer.scale, s.standardizer.scale);
  for (const auto& [key, value] : s.to_metadata())
    EXPECT_EQ(value.find('\n'), std::string::npos) << key;
}

std::string error_of_schema(const std::vector<std::pair<std::string, std::string>>& m) {
  try {
    DataSchema::from_metadata(m, "m.bin");
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DataSchema, NoEntriesMeansABuiltInTaskAndBadEntriesAreNamed) {
  EXPECT_FALSE(DataSchema::from_metadata({}, "m.bin"));
  EXPECT_FALSE(DataSchema::from_metadata({{"other", "x"}}, "m.bin"));
  DataSchema s;
  s.format = "npy";
  s.loss = "squared-error";
  auto good = s.to_metadata();
  ASSERT_TRUE(DataSchema::from_metadata(good, "m.bin"));
  const auto refused = [&](const std::string& key, const std::string& value,
                           const std::string& words) {
    auto m = good;
    bool replaced = false;
    for (auto& [k, v] : m)
      if (k == key) v = value, replaced = true;
    if (!replaced) m.emplace_back(key, value);
    try {
      DataSchema::from_metadata(m, "m.bin");
      ADD_FAILURE() << key << " = " << value << " was accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("m.bin: metadata '" + key + "'"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  refused("data.format", "parquet", "not csv, npy or idx");
  refused("data.kind", "ordinal", "ordinal");
  refused("data.num_classes", "-2", "-2");
  refused("data.standardize.mean", "1,x", "'x' is not a finite number");
  auto no_scales = good;
  no_scales.emplace_back("data.standardize.mean", "1,2");
  EXPECT_NE(error_of_schema(no_scales).find("m.bin: metadata 'data.standardize.scale': missing"),
            std::string::npos);
  refused("data.classes", "a%4", "malformed");
  auto no_classes = good;
  for (auto& [k, v] : no_classes)
    if (k == "data.kind") v = "binary";
  EXPECT_THROW(DataSchema::from_metadata(no_classes, "m.bin"), ValueError);
}

TEST(TargetKind, NamesRoundTrip) {
  for (TargetKind k : {TargetKind::kRegression, TargetKind::kClasses, TargetKind::kBinary})
    EXPECT_EQ(parse_target_kind(to_string(k)), k);
  EXPECT_FALSE(parse_target_kind("Classes"));
}

}  // namespace
}  // namespace curvopt
