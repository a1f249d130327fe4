package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corpus files written here the way harness/corpus.py writes them, replayed without Python. */
class ReplayCounterexampleTest {

    @TempDir
    Path corpus;
    String printed;

    /** A corpus file beside {@code artifacts/NAME} (a copy of the test resource, or of {@code source}). */
    private Path write(String artifactFormat, String runtime, Path source, String body) throws Exception {
        Path artifacts = Files.createDirectories(corpus.resolve("artifacts"));
        Files.copy(source, artifacts.resolve(source.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path file = corpus.resolve("cell-0123456789ab.json");
        Files.writeString(file, "{\"format\": \"jvm-equivalence-counterexample\", \"version\": 1, "
                + "\"model_uri\": \"models:/m/1\", \"cell\": \"models:/m/1::" + runtime + "[x]\", \"runtime\": \""
                + runtime + "\", \"artifact\": {\"format\": \"" + artifactFormat + "\", \"path\": \"artifacts/"
                + source.getFileName() + "\", \"original_path\": \"/elsewhere\"}, "
                + "\"tolerance\": {\"atol\": 1e-05, \"rtol\": 1e-05}, " + body + "}");
        return file;
    }

    /** The same file with atol = rtol = 0. */
    private static Path exact(Path file) throws Exception {
        Files.writeString(file, Files.readString(file).replace("\"tolerance\": {\"atol\": 1e-05, \"rtol\": 1e-05}",
                "\"tolerance\": {\"atol\": 0.0, \"rtol\": 0.0}"));
        return file;
    }

    private int replay(Path file) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = ReplayCounterexample.replay(file, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        printed = bytes.toString(StandardCharsets.UTF_8);
        return status;
    }

    private static Path resource(String name) throws Exception {
        return Path.of(TestData.resource(name));
    }

    private static final String ADD_ONE_INPUTS = "\"onnx_inputs\": [{\"name\": \"x\", \"element_type\": \"float\", "
            + "\"shape\": [2, 2], \"values\": [0.0, 1.5, \"nan\", 1e-08]}, {\"name\": \"names\", "
            + "\"element_type\": \"string\", \"shape\": [2], \"values\": [\"a\", \"\"]}], \"error\": null";

    @Test
    void anOnnxDivergenceReproducesAndPrintsItsMaxAbs() throws Exception {
        Path file = write("onnx", "ort-java", resource("add_one.onnx"), ADD_ONE_INPUTS
                + ", \"expected\": {\"variable\": [[1.0, 3.0], [\"nan\", 1.0]]}, "
                + "\"actual\": {\"variable\": [[1.0, 2.5], [\"nan\", 1.0]]}");
        assertEquals(ReplayCounterexample.REPRODUCED, replay(file), printed);
        assertTrue(printed.strip().endsWith("REPRODUCED: max_abs=0.5"), printed);
        assertEquals(1, printed.split("max_abs=", -1).length - 1, "max_abs= printed once, last: " + printed);
    }

    @Test
    void anOnnxOutputThatNowAgreesDoesNotReproduce() throws Exception {
        Path file = write("onnx", "ort-java", resource("add_one.onnx"), ADD_ONE_INPUTS
                + ", \"expected\": {\"variable\": [[1.0, 2.5], [\"nan\", 1.00000001]]}");
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(file), printed);
        assertTrue(printed.contains("NOT REPRODUCED: max_abs="), printed);
    }

    /**
     * 2**53 + 1 is not a double: read through a double, it would be fed as 2**53 and "diverge" by 1 from a
     * reference of 2**53 + 1; compared through doubles, 2**53 + 2 would not diverge from 2**53 + 1. Zero tolerance.
     */
    @Test
    void int64ValuesKeepEveryDigit() throws Exception {
        String inputs = "\"onnx_inputs\": [{\"name\": \"v\", \"element_type\": \"int64\", \"shape\": [2], "
                + "\"values\": [9007199254740993, -9223372036854775808]}], \"error\": null";
        Path same = exact(write("onnx", "ort-java", resource("identity_int64.onnx"), inputs
                + ", \"expected\": {\"v_out\": [9007199254740993, -9223372036854775808]}"));
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(same), printed);
        assertTrue(printed.strip().endsWith("max_abs=0.0"), printed);
        Path offByOne = exact(write("onnx", "ort-java", resource("identity_int64.onnx"), inputs
                + ", \"expected\": {\"v_out\": [9007199254740994, -9223372036854775808]}"));
        assertEquals(ReplayCounterexample.REPRODUCED, replay(offByOne), printed);
        assertTrue(printed.strip().endsWith("max_abs=1.0"), printed);
    }

    @Test
    void aPmmlDivergenceFromRows() throws Exception {
        Path file = write("pmml", "jpmml", resource("linear.pmml"), "\"columns\": [{\"name\": \"a\", \"type\": "
                + "\"double\"}, {\"name\": \"color\", \"type\": \"string\"}], \"rows\": [[1.5, \"red\"], [-2, "
                + "\"blue\"]], \"onnx_inputs\": null, \"error\": null, \"expected\": {\"y\": [7.0, -1.25]}");
        assertEquals(ReplayCounterexample.REPRODUCED, replay(file), printed);
        assertTrue(printed.strip().endsWith("max_abs=0.25"), printed);
    }

    /** The runtime raised in the harness: the same class and message on replay reproduces it. */
    @Test
    void aRecordedErrorReproducesWhenTheSameErrorIsRaised() throws Exception {
        String badShape = "\"onnx_inputs\": [{\"name\": \"x\", \"element_type\": \"float\", \"shape\": [1, 3], "
                + "\"values\": [1, 2, 3]}, {\"name\": \"names\", \"element_type\": \"string\", \"shape\": [1], "
                + "\"values\": [\"a\"]}], \"expected\": {\"variable\": [[2.0, 3.0, 4.0]]}, \"actual\": {}";
        String message;
        try (OrtBatchSession session = new OrtBatchSession(TestData.resource("add_one.onnx"), 1, 1, "ALL_OPT")) {
            session.run(new String[] {"x", "names"}, new Object[] {TestData.floats(1, 2, 3), new String[] {"a"}},
                    new String[] {"FLOAT", "STRING"}, new long[][] {{1, 3}, {1}});
            throw new AssertionError("ONNX Runtime accepted a [1, 3] input for a [?, 2] one");
        } catch (ai.onnxruntime.OrtException error) {
            message = error.getMessage();
        }
        // as harness/search.py records it: f"{type(error).__name__}: {error}", JPype's str() being Java's toString()
        String recorded = "ai.onnxruntime.OrtException: ai.onnxruntime.OrtException: " + message;
        Path same = write("onnx", "ort-java", resource("add_one.onnx"), badShape + ", \"error\": "
                + new com.google.gson.Gson().toJson(recorded));
        assertEquals(ReplayCounterexample.REPRODUCED, replay(same), printed);
        assertTrue(printed.contains("REPRODUCED: the runtime raised ai.onnxruntime.OrtException"), printed);

        Path otherMessage = write("onnx", "ort-java", resource("add_one.onnx"), badShape
                + ", \"error\": \"ai.onnxruntime.OrtException: ai.onnxruntime.OrtException: something else\"");
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(otherMessage), printed);
        assertTrue(printed.contains("same class, different message"), printed);

        Path otherClass = write("onnx", "ort-java", resource("add_one.onnx"), badShape
                + ", \"error\": \"java.lang.IllegalStateException: java.lang.IllegalStateException: " + "x\"");
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(otherClass), printed);
        assertTrue(printed.contains("a different exception class"), printed);

        Path python = write("onnx", "ort-java", resource("add_one.onnx"), badShape
                + ", \"error\": \"KeyError: 'UNKNOWN'\"");
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(python), printed);
        assertTrue(printed.contains("raised on the Python side"), printed);
    }

    @Test
    void aRecordedErrorThatNoLongerHappensDoesNotReproduce() throws Exception {
        Path file = write("onnx", "ort-java", resource("add_one.onnx"), ADD_ONE_INPUTS.replace("\"error\": null",
                "\"error\": \"ai.onnxruntime.OrtException: ai.onnxruntime.OrtException: boom\"")
                + ", \"expected\": {\"variable\": [[1.0, 2.5], [\"nan\", 1.0]]}");
        assertEquals(ReplayCounterexample.NOT_REPRODUCED, replay(file), printed);
        assertTrue(printed.contains("but returned outputs on replay"), printed);
    }

    @Test
    void anXgboostDivergenceFromRows() throws Exception {
        float[] x = {0, 1, 1, 0, 2, 2, -1, 0.5f, 3, -2, 0, 1};
        DMatrix train = new DMatrix(x, 6, 2, Float.NaN);
        train.setLabel(new float[] {0, 1, 1, 0, 1, 0});
        Path model = corpus.resolve("model.ubj");
        XGBoost.train(train, Map.of("objective", "binary:logistic", "max_depth", 2, "nthread", 1, "min_child_weight",
                0), 3, Map.of(), null, null).saveModel(model.toString());
        double[] expected;
        try (Xgboost4jScorer scorer = new Xgboost4jScorer(model.toString())) {
            expected = scorer.predict(TestData.doubles(1, 0, Double.NaN, 2), 2, 2, true).doubles(1);
        }
        Path file = write("xgboost", "xgboost4j", model, "\"columns\": [{\"name\": \"f0\", \"type\": \"double\"}, "
                + "{\"name\": \"f1\", \"type\": \"double\"}], \"rows\": [[1, 0], [null, 2]], \"error\": null, "
                + "\"expected\": {\"probabilities\": [" + (expected[0] + 0.125) + ", " + expected[1] + "]}, "
                + "\"actual\": {\"probabilities\": [" + expected[0] + ", " + expected[1] + "]}");
        assertEquals(ReplayCounterexample.REPRODUCED, replay(file), printed);
        assertTrue(printed.contains("prediction"), "matched the scorer's 'prediction' output: " + printed);
        assertEquals(0.125, Double.parseDouble(printed.split("max_abs=")[1].strip()), 1e-7);
        // "jvm_inputs" (what the scorer was fed, in the onnx_inputs layout) takes precedence over the rows
        Path fed = write("xgboost", "xgboost4j", model, "\"jvm_inputs\": [{\"name\": \"X\", \"element_type\": "
                + "\"double\", \"shape\": [2, 2], \"values\": [1, 0, \"nan\", 2]}], \"columns\": null, \"rows\": null, "
                + "\"error\": null, \"expected\": {\"probabilities\": [" + expected[0] + ", " + (expected[1] - 0.25)
                + "]}");
        assertEquals(ReplayCounterexample.REPRODUCED, replay(fed), printed);
        assertEquals(0.25, Double.parseDouble(printed.split("max_abs=")[1].strip()), 1e-7);
    }

    @Test
    void cannotReplayAnUnknownFormat() throws Exception {
        Path file = write("sparkml", "mleap", resource("linear.pmml").resolveSibling("linear.pmml"), "\"error\": null");
        Files.move(corpus.resolve("artifacts/linear.pmml"), corpus.resolve("artifacts/model.bin"));
        Files.writeString(file, Files.readString(file).replace("linear.pmml", "model.bin"));
        org.junit.jupiter.api.Assertions.assertThrows(ReplayCounterexample.CannotReplay.class,
                () -> ReplayCounterexample.replay(file, new PrintStream(new ByteArrayOutputStream())));
    }
}
