package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Three tiny GBM MOJOs written by H2O 3.46.0.11 (Python client, {@code download_mojo}) with inputs a, color
 * (categorical: blue, green, red) and b; the expected values are H2O's own predictions on the same four rows
 * (``model.predict(frame)``), with "purple" a level the model never saw and NaN/None missing.
 */
class H2oMojoScorerTest {

    private static final String[] NUMERIC = {"a", "b"};
    private static final double[] ROWS = {0.1, 0.5, -1.0, Double.NaN, Double.NaN, -0.2, 2.0, 1.0};  // a, b per row
    private static final String[] COLOR = {"red", "purple", "blue", null};

    private static BatchOutputs score(H2oMojoScorer scorer) throws Exception {
        return scorer.predict(NUMERIC, TestData.doubles(ROWS), true, new String[] {"color"}, new Object[] {COLOR}, 4);
    }

    @Test
    void binomialLabelsAndProbabilitiesMatchH2o() throws Exception {
        try (H2oMojoScorer scorer = new H2oMojoScorer(TestData.resource("h2o_binomial.zip"))) {
            assertArrayEquals(new String[] {"a", "color", "b"}, scorer.inputNames());
            assertArrayEquals(new String[] {"numeric", "categorical", "numeric"}, scorer.inputTypes());
            assertEquals("Binomial", scorer.modelCategory());
            assertArrayEquals(new String[] {"label", "probabilities"}, scorer.outputNames());
            assertArrayEquals(new String[] {"no", "yes"}, scorer.classes());
            BatchOutputs out = score(scorer);
            // row 0: p(yes) = 0.50946754424 sits just under the model's threshold 0.509467544788586: "no"
            assertArrayEquals(new String[] {"no", "no", "no", "yes"}, (String[]) out.data.get(0));
            assertArrayEquals(new long[] {4, 2}, out.shapes.get(1));
            assertArrayEquals(new String[] {"no", "yes"}, out.keys.get(1));
            double[] p = out.doubles(1);
            double[] yes = {0.5094675442414357, 0.36225997212794725, 0.36225997212794725, 0.6305952893178607};
            for (int r = 0; r < 4; r++) {
                assertEquals(yes[r], p[2 * r + 1], 1e-12);
                assertEquals(1 - yes[r], p[2 * r], 1e-12);
            }
            assertEquals(1, scorer.unknownCategoricalLevelsSeen(), "purple became NA");
            assertEquals("3.46.0.11", scorer.mojoH2oVersion());
            assertEquals("3.46.0.11", scorer.runtimeVersion());
        }
    }

    @Test
    void multinomialMatchesH2o() throws Exception {
        try (H2oMojoScorer scorer = new H2oMojoScorer(TestData.resource("h2o_multinomial.zip"))) {
            assertArrayEquals(new String[] {"hi", "lo", "mid"}, scorer.classes());
            BatchOutputs out = score(scorer);
            assertArrayEquals(new String[] {"mid", "hi", "lo", "hi"}, (String[]) out.data.get(0));
            double[] expected = {
                0.23730440865431576, 0.23739081511534477, 0.5253047762303394,
                0.33333700151252027, 0.33333179105654087, 0.33333120743093875,
                0.2373865636495943, 0.5252309989667521, 0.23738243738365356,
                0.525421224970757, 0.23728902331821788, 0.23728975171102493};
            assertArrayEquals(expected, out.doubles(1), 1e-12);
        }
    }

    @Test
    void regressionMatchesH2oThroughNamedColumns() throws Exception {
        try (BatchScorer scorer = new H2oMojoScorer(TestData.resource("h2o_regression.zip"))) {
            assertArrayEquals(new String[] {"value"}, scorer.outputNames());
            BatchOutputs out = scorer.score(new String[] {"b", "color", "a"},
                    new Object[] {TestData.doubles(0.5, Double.NaN, -0.2, 1.0), COLOR,
                        TestData.floats(0.1f, -1f, Float.NaN, 2f)},
                    new String[] {"DOUBLE", "STRING", "FLOAT"}, new long[][] {{4}, {4}, {4, 1}});
            assertArrayEquals(new long[] {4}, out.shapes.get(0));
            // a = 0.1 as float32 is 0.10000000149: the same leaf as 0.1 for this model
            assertArrayEquals(new double[] {0.5194974288225174, -0.01924452484846112, 0.5194974288225174,
                0.9894671484708786}, out.doubles(0), 1e-12);
        }
    }
}
