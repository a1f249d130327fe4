package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boosters trained here in Java (no Python-made file needed), saved as MLflow saves them, scored by the scorer. */
class Xgboost4jScorerTest {

    static final int ROWS = 200;
    static final int COLS = 3;
    static double[] x;
    static float[] xf;
    @TempDir
    static Path dir;
    static Path binaryUbj;
    static Path binaryJson;
    static Path multiclass;

    @BeforeAll
    static void train() throws Exception {
        x = TestData.matrix(ROWS, COLS);
        xf = new float[x.length];
        float[] binary = new float[ROWS];
        float[] classes = new float[ROWS];
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLS; c++) {
                xf[r * COLS + c] = (float) x[r * COLS + c];
            }
            binary[r] = x[r * COLS] + 0.5 * x[r * COLS + 1] > 0.2 ? 1 : 0;
            classes[r] = (x[r * COLS] > 0 ? 1 : 0) + (x[r * COLS + 2] > 0.5 ? 1 : 0);
        }
        DMatrix train = new DMatrix(xf, ROWS, COLS, Float.NaN);
        train.setLabel(binary);
        Map<String, Object> params = new HashMap<>(Map.of("objective", "binary:logistic", "max_depth", 3, "eta", 0.5,
                "nthread", 1, "base_score", 0.6));
        Booster booster = XGBoost.train(train, params, 6, Map.of(), null, null);
        booster.setFeatureNames(new String[] {"a", "b", "c"});
        binaryUbj = dir.resolve("model.ubj");
        binaryJson = dir.resolve("model.json");
        booster.saveModel(binaryUbj.toString());
        booster.saveModel(binaryJson.toString());
        train.setLabel(classes);
        params.put("objective", "multi:softprob");
        params.put("num_class", 3);
        params.remove("base_score");
        multiclass = dir.resolve("multi.ubj");
        XGBoost.train(train, params, 4, Map.of(), null, null).saveModel(multiclass.toString());
    }

    @Test
    void scoresARowMajorFloat64BufferLikeTheBoosterItself() throws Exception {
        Booster reference = XGBoost.loadModel(binaryUbj.toString());
        float[][] expectedMargin = reference.predict(new DMatrix(xf, ROWS, COLS, Float.NaN), true);
        float[][] expected = reference.predict(new DMatrix(xf, ROWS, COLS, Float.NaN));
        for (Path model : new Path[] {binaryUbj, binaryJson}) {
            try (Xgboost4jScorer scorer = new Xgboost4jScorer(model.toString(), 1)) {
                assertArrayEquals(new String[] {"a", "b", "c"}, scorer.inputNames());
                assertArrayEquals(new String[] {"margin", "prediction"}, scorer.outputNames());
                BatchOutputs out = scorer.predict(TestData.doubles(x), ROWS, COLS, true);
                assertEquals("FLOAT", out.elementTypes.get(0));
                assertArrayEquals(new long[] {ROWS, 1}, out.shapes.get(0));
                double[] margin = out.doubles(0);
                double[] prediction = out.doubles(1);
                for (int r = 0; r < ROWS; r++) {
                    assertEquals(expectedMargin[r][0], margin[r], 0.0);
                    assertEquals(expected[r][0], prediction[r], 0.0);
                    assertEquals(TestData.sigmoid(margin[r]), prediction[r], 1e-6);
                }
            }
        }
    }

    @Test
    void float32InputNamedColumnsAndMissingValuesAgree() throws Exception {
        try (Xgboost4jScorer scorer = new Xgboost4jScorer(binaryUbj.toString())) {
            double[] rows = {0.3, Double.NaN, -1.0, Double.NaN, Double.NaN, Double.NaN};
            BatchOutputs fromDoubles = scorer.predict(TestData.doubles(rows), 2, COLS, true);
            float[] floats = new float[rows.length];
            for (int i = 0; i < rows.length; i++) {
                floats[i] = (float) rows[i];
            }
            BatchOutputs fromFloats = scorer.predict(TestData.floats(floats), 2, COLS, false);
            // one column per feature, given out of order: matched by the model's feature names
            BatchOutputs fromColumns = scorer.score(new String[] {"c", "a", "b"},
                    new Object[] {TestData.doubles(-1.0, Double.NaN), TestData.doubles(0.3, Double.NaN),
                        TestData.floats(Float.NaN, Float.NaN)},
                    new String[] {"DOUBLE", "DOUBLE", "FLOAT"}, new long[][] {{2}, {2}, {2, 1}});
            for (int output = 0; output < 2; output++) {
                assertArrayEquals(fromDoubles.doubles(output), fromFloats.doubles(output), 0.0);
                assertArrayEquals(fromDoubles.doubles(output), fromColumns.doubles(output), 0.0);
            }
            assertTrue(Double.isFinite(fromDoubles.doubles(1)[1]), "an all-missing row still scores");
        }
    }

    @Test
    void multiclassGivesOneColumnPerClass() throws Exception {
        try (Xgboost4jScorer scorer = new Xgboost4jScorer(multiclass.toString(), 1)) {
            BatchOutputs out = scorer.predict(TestData.doubles(x), ROWS, COLS, true);
            assertArrayEquals(new long[] {ROWS, 3}, out.shapes.get(1));
            double[] margin = out.doubles(0);
            double[] probabilities = out.doubles(1);
            for (int r = 0; r < ROWS; r++) {
                double sum = 0;
                double norm = 0;
                for (int k = 0; k < 3; k++) {
                    sum += probabilities[r * 3 + k];
                    norm += Math.exp(margin[r * 3 + k]);
                }
                assertEquals(1.0, sum, 1e-6);
                assertEquals(Math.exp(margin[r * 3]) / norm, probabilities[r * 3], 1e-6);  // softmax of the margins
            }
        }
    }

    @Test
    void emptyBatchAndVersion() throws Exception {
        try (Xgboost4jScorer scorer = new Xgboost4jScorer(binaryUbj.toString())) {
            BatchOutputs out = scorer.predict(ByteBuffer.allocateDirect(0), 0, COLS, true);
            assertEquals(2, out.size());
            assertEquals(0, out.doubles(0).length);
            assertEquals("3.4.0", scorer.runtimeVersion());
            assertEquals("3.4.0", Xgboost4jScorer.version());
        }
    }
}
