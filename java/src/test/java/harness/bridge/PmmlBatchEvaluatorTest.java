package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PmmlBatchEvaluatorTest {

    private static PmmlBatchEvaluator linear() throws Exception {
        return new PmmlBatchEvaluator(
                Path.of(PmmlBatchEvaluatorTest.class.getResource("/linear.pmml").toURI()).toString());
    }

    private static ByteBuffer doubles(double... values) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(values.length * Double.BYTES).order(ByteOrder.nativeOrder());
        buffer.asDoubleBuffer().put(values);
        return buffer;
    }

    @Test
    void evaluatesEveryRowOfAColumnMajorBatch() throws Exception {
        PmmlBatchEvaluator evaluator = linear();
        assertArrayEquals(new String[] {"a", "color"}, evaluator.inputNames());
        assertArrayEquals(new String[] {"y"}, evaluator.resultNames());
        Object[] results = evaluator.evaluate(
                new String[] {"a", "color"},
                new Object[] {doubles(0, 1.5, -2), new String[] {"red", "blue", "blue"}},
                3);
        assertArrayEquals(new double[] {4, 6, -1}, (double[]) results[0], 0.0);
    }

    @Test
    void scoresNamedColumnsThroughTheBatchScorerInterface() throws Exception {
        try (BatchScorer scorer = linear()) {
            assertArrayEquals(new String[] {"y"}, scorer.outputNames());
            // a numeric column of any element type is read as float64; columns are matched by name
            BatchOutputs out = scorer.score(new String[] {"color", "a"},
                    new Object[] {new String[] {"red", "blue"}, TestData.floats(1.5f, -2f)},
                    new String[] {"STRING", "FLOAT"}, new long[][] {{2}, {2, 1}});
            assertArrayEquals(new double[] {7, -1}, out.doubles(0), 0.0);
            assertArrayEquals(new long[] {2}, out.shapes.get(0));
            org.junit.jupiter.api.Assertions.assertEquals("1.7.7", scorer.runtimeVersion());
        }
    }

    @Test
    void rejectsACategoryThePmmlDoesNotDeclare() throws Exception {
        PmmlBatchEvaluator evaluator = linear();
        assertThrows(RuntimeException.class, () -> evaluator.evaluate(
                new String[] {"a", "color"}, new Object[] {doubles(1), new String[] {"green"}}, 1));
    }

    @Test
    void refusesAPmmlWithAnExternalEntityWithoutReadingIt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        java.nio.file.Files.writeString(secret, "TOP-SECRET");
        String linear = java.nio.file.Files.readString(
                Path.of(PmmlBatchEvaluatorTest.class.getResource("/linear.pmml").toURI()));
        String hostile = linear.replace("<PMML ", "<!DOCTYPE PMML [<!ENTITY leak SYSTEM \"" + secret.toUri()
                + "\">]>\n<PMML ").replace("description=\"", "description=\"&leak; ");
        Path pmml = dir.resolve("hostile.pmml");
        java.nio.file.Files.writeString(pmml, hostile);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new PmmlBatchEvaluator(pmml.toString()));
        org.junit.jupiter.api.Assertions.assertTrue(error.getMessage().contains("DOCTYPE"));
        org.junit.jupiter.api.Assertions.assertFalse(error.getMessage().contains("TOP-SECRET"));
    }
}
