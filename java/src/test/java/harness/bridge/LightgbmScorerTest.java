package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.microsoft.ml.lightgbm.PredictionType;
import io.github.metarank.lightgbm4j.LGBMBooster;
import io.github.metarank.lightgbm4j.LGBMDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boosters trained here in Java with lightgbm4j, saved as text model files, scored by the scorer. */
class LightgbmScorerTest {

    static final int ROWS = 300;
    static final int COLS = 3;
    static double[] x;
    @TempDir
    static Path dir;
    static Path binary;
    static Path multiclass;
    static Path categorical;

    @BeforeAll
    static void train() throws Exception {
        x = TestData.matrix(ROWS, COLS);
        float[] labels = new float[ROWS];
        float[] classes = new float[ROWS];
        double[] withColor = x.clone();
        float[] colorLabels = new float[ROWS];
        for (int r = 0; r < ROWS; r++) {
            labels[r] = x[r * COLS] + 0.5 * x[r * COLS + 1] > 0.2 ? 1 : 0;
            classes[r] = (x[r * COLS] > 0 ? 1 : 0) + (x[r * COLS + 2] > 0.5 ? 1 : 0);
            withColor[r * COLS + 1] = r % 3;  // feature 1 as a category code 0, 1, 2
            colorLabels[r] = (r % 3 == 2 ? 1.5 : 0) + x[r * COLS] > 0.5 ? 1 : 0;
        }
        binary = train(x, labels, "objective=binary", "binary.txt");
        multiclass = train(x, classes, "objective=multiclass num_class=3", "multi.txt");
        categorical = train(withColor, colorLabels, "objective=binary categorical_feature=1", "categorical.txt");
        // what LightGBM's Python package appends for a DataFrame with a pandas categorical column
        Files.writeString(categorical, Files.readString(categorical)
                + "\npandas_categorical:[[\"blue\", \"green\", \"red\"]]\n");
    }

    private static Path train(double[] data, float[] labels, String objective, String file) throws Exception {
        String params = objective + " num_leaves=7 min_data_in_leaf=5 num_threads=1 verbose=-1 seed=1";
        try (LGBMDataset dataset = LGBMDataset.createFromMat(data, ROWS, COLS, true, params, null)) {
            dataset.setFeatureNames(new String[] {"a", "b", "c"});
            dataset.setField("label", labels);
            LGBMBooster booster = LGBMBooster.create(dataset, params);
            for (int i = 0; i < 8; i++) {
                booster.updateOneIter();
            }
            Path path = dir.resolve(file);
            Files.writeString(path, booster.saveModelToString(0, 0, LGBMBooster.FeatureImportanceType.SPLIT));
            booster.close();
            return path;
        }
    }

    @Test
    void scoresProbabilitiesAndRawScoresLikeTheBoosterItself() throws Exception {
        try (LightgbmScorer scorer = new LightgbmScorer(binary.toString(), "num_threads=1");
             LGBMBooster reference = LGBMBooster.createFromModelfile(binary.toString())) {
            assertArrayEquals(new String[] {"a", "b", "c"}, scorer.inputNames());
            assertArrayEquals(new String[] {"prediction", "raw_score"}, scorer.outputNames());
            assertEquals(1, scorer.classCount());
            BatchOutputs out = scorer.predict(TestData.doubles(x), ROWS, COLS, true);
            assertArrayEquals(new long[] {ROWS, 1}, out.shapes.get(0));
            assertEquals("DOUBLE", out.elementTypes.get(0));
            double[] prediction = out.doubles(0);
            double[] raw = out.doubles(1);
            assertArrayEquals(reference.predictForMat(x, ROWS, COLS, true, PredictionType.C_API_PREDICT_NORMAL),
                    prediction, 0.0);
            for (int r = 0; r < ROWS; r++) {
                assertEquals(TestData.sigmoid(raw[r]), prediction[r], 1e-12);
            }
        }
    }

    @Test
    void missingValuesFloat32AndNamedColumns() throws Exception {
        try (LightgbmScorer scorer = new LightgbmScorer(binary.toString())) {
            BatchOutputs doubles = scorer.predict(TestData.doubles(0.5, Double.NaN, -1, Double.NaN, 0, 0), 2, 3, true);
            BatchOutputs floats = scorer.predict(TestData.floats(0.5f, Float.NaN, -1, Float.NaN, 0, 0), 2, 3, false);
            BatchOutputs columns = scorer.score(new String[] {"b", "c", "a"},
                    new Object[] {TestData.doubles(Double.NaN, 0), TestData.doubles(-1, 0), TestData.doubles(0.5,
                        Double.NaN)},
                    new String[] {"DOUBLE", "DOUBLE", "DOUBLE"}, new long[][] {{2}, {2}, {2}});
            assertArrayEquals(doubles.doubles(0), floats.doubles(0), 0.0);
            assertArrayEquals(doubles.doubles(0), columns.doubles(0), 0.0);
            assertArrayEquals(doubles.doubles(1), columns.doubles(1), 0.0);
            assertThrows(IllegalArgumentException.class, () -> scorer.predict(TestData.doubles(1, 2), 1, 2, true));
        }
    }

    @Test
    void multiclassGivesOneColumnPerClass() throws Exception {
        try (LightgbmScorer scorer = new LightgbmScorer(multiclass.toString())) {
            assertEquals(3, scorer.classCount());
            BatchOutputs out = scorer.predict(TestData.doubles(x), ROWS, COLS, true);
            assertArrayEquals(new long[] {ROWS, 3}, out.shapes.get(0));
            double[] p = out.doubles(0);
            for (int r = 0; r < ROWS; r++) {
                assertEquals(1.0, p[3 * r] + p[3 * r + 1] + p[3 * r + 2], 1e-9);
            }
        }
    }

    @Test
    void categoryCodesAndPandasCategoriesGiveTheSameScores() throws Exception {
        try (LightgbmScorer scorer = new LightgbmScorer(categorical.toString())) {
            assertArrayEquals(new String[] {"blue", "green", "red"}, scorer.categories(1));
            BatchOutputs codes = scorer.predict(TestData.doubles(0.1, 2, 0, 0.1, 0, 0, 0.1, Double.NaN, 0), 3, 3,
                    true);
            BatchOutputs strings = scorer.score(new String[] {"a", "b", "c"},
                    new Object[] {TestData.doubles(0.1, 0.1, 0.1), new String[] {"red", "blue", "purple"},
                        TestData.doubles(0, 0, 0)},
                    new String[] {"DOUBLE", "STRING", "DOUBLE"}, new long[][] {{3}, {3}, {3}});
            // "purple" is no category of the model: missing, as LightGBM's Python package makes it
            assertArrayEquals(codes.doubles(0), strings.doubles(0), 0.0);
            double[] p = codes.doubles(0);
            org.junit.jupiter.api.Assertions.assertTrue(p[0] > 0.5 && p[1] < 0.5, "red and blue split: " + p[0] + " "
                    + p[1]);
            assertEquals("4.3.0-1", scorer.runtimeVersion());
        }
    }
}
