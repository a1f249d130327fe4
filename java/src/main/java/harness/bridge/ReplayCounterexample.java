package harness.bridge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reproduces a counterexample from the harness's corpus file alone, in plain Java: no Python, no harness.
 *
 * <pre>java -cp "java/target/harness-bridge.jar:java/target/lib/*" harness.bridge.ReplayCounterexample FILE.json</pre>
 *
 * <p>It loads the artifact beside the file with the same {@link BatchScorer} the harness calls through JPype
 * (chosen by the file's {@code artifact.format}, else its {@code runtime}, else the artifact's extension), feeds it
 * the exact inputs recorded in the file ({@code jvm_inputs} when the file has them: what the JVM scorer was fed, in
 * the {@code onnx_inputs} layout; else for ONNX {@code onnx_inputs}, the tensors the runtime was fed; otherwise
 * {@code columns}/{@code rows} or {@code tensors}), prints every output beside the reference's, and says whether the
 * divergence reproduces.
 *
 * <p>A file whose {@code error} is set records a runtime that raised where the reference did not: the replay
 * reproduces when the scorer raises the same exception class with a message that starts the same way.
 *
 * <p>Exit status: 0 reproduced, 1 not reproduced, 2 cannot replay (bad arguments, unreadable file, unknown format).
 */
public final class ReplayCounterexample {

    static final int REPRODUCED = 0;
    static final int NOT_REPRODUCED = 1;
    static final int CANNOT_REPLAY = 2;
    /** How much of the recorded error message (its first line) must match the replayed one. */
    static final int MESSAGE_PREFIX = 120;
    private static final double TINY = Double.MIN_NORMAL;

    /** The replay cannot start: the message says why. */
    static final class CannotReplay extends Exception {
        CannotReplay(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: ReplayCounterexample COUNTEREXAMPLE.json");
            System.exit(CANNOT_REPLAY);
        }
        int status;
        try {
            status = replay(Path.of(args[0]), System.out);
        } catch (CannotReplay error) {
            System.out.println("CANNOT REPLAY: " + error.getMessage());
            status = CANNOT_REPLAY;
        } catch (Exception error) {
            System.out.println("CANNOT REPLAY: " + error);
            status = CANNOT_REPLAY;
        }
        System.out.flush();
        System.exit(status);
    }

    /** Replays one corpus file, printing to {@code out}; returns the exit status. */
    static int replay(Path file, PrintStream out) throws Exception {
        JsonObject entry;
        try {
            // Gson keeps every number as its text (LazilyParsedNumber): int64 values are read exactly, never via double.
            entry = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (Exception error) {
            throw new CannotReplay(file + " is not a readable corpus file: " + error.getMessage());
        }
        JsonObject artifact = object(entry, "artifact");
        if (artifact == null || string(artifact, "path") == null) {
            throw new CannotReplay(file + " names no artifact (\"artifact\": {\"path\": ...})");
        }
        // The artifact's copy sits beside the corpus file; its path is relative to the file.
        Path path = file.toAbsolutePath().getParent().resolve(string(artifact, "path"));
        if (!Files.exists(path)) {
            throw new CannotReplay("the artifact " + path + " is missing (it should sit beside the corpus file)");
        }
        String kind = scorerKind(string(artifact, "format"), string(entry, "runtime"), path.getFileName().toString());
        out.println("model " + string(entry, "model_uri") + ", cell " + string(entry, "cell") + ", runtime "
                + string(entry, "runtime") + ", file " + path);
        JsonArray jvmInputs = array(entry, "jvm_inputs");
        Batch batch = jvmInputs != null ? tensorBatch(jvmInputs) : "onnx".equals(kind) ? onnxBatch(entry)
                : genericBatch(entry);
        String recordedError = string(entry, "error");

        BatchOutputs outputs;
        try (BatchScorer scorer = open(kind, path.toString())) {
            out.println("  " + scorer.getClass().getSimpleName() + " " + scorer.runtimeVersion() + ", inputs "
                    + Arrays.toString(batch.names));
            outputs = scorer.score(batch.names, batch.data, batch.types, batch.shapes);
        } catch (Throwable raised) {
            return raisedOnReplay(raised, recordedError, out);
        }
        if (recordedError != null) {
            out.println("  recorded error: " + recordedError);
            for (int i = 0; i < outputs.size(); i++) {
                out.println("  java      " + outputs.names.get(i) + ": " + render(values(outputs, i)));
            }
            out.println("NOT REPRODUCED: the runtime raised in the harness (" + firstLine(recordedError)
                    + ") but returned outputs on replay");
            return NOT_REPRODUCED;
        }
        return compareOutputs(entry, outputs, out);
    }

    // ---------------------------------------------------------------------------------------------------- scorers

    /** onnx, pmml, xgboost, lightgbm or h2o-mojo. */
    static String scorerKind(String format, String runtime, String fileName) throws CannotReplay {
        for (String key : new String[] {format, runtime}) {
            if (key == null) {
                continue;
            }
            switch (key.toLowerCase(Locale.ROOT)) {
                case "onnx", "ort-java", "onnxruntime-java":
                    return "onnx";
                case "pmml", "jpmml", "jpmml-evaluator":
                    return "pmml";
                case "xgboost", "xgboost-ubj", "xgboost-json", "ubj", "xgboost4j":
                    return "xgboost";
                case "lightgbm", "lightgbm-text", "lgb", "lightgbm4j":
                    return "lightgbm";
                case "h2o-mojo", "mojo", "h2o", "h2o-genmodel":
                    return "h2o-mojo";
                default:
                    break;
            }
        }
        String name = fileName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return "onnx";
        } else if (name.endsWith(".pmml") || name.endsWith(".xml")) {
            return "pmml";
        } else if (name.endsWith(".ubj") || name.endsWith(".json") || name.endsWith(".xgb")) {
            return "xgboost";
        } else if (name.endsWith(".lgb") || name.endsWith(".txt")) {
            return "lightgbm";
        } else if (name.endsWith(".zip")) {
            return "h2o-mojo";
        }
        throw new CannotReplay("no JVM scorer for artifact format '" + format + "' / runtime '" + runtime + "' ("
                + fileName + "); known: onnx, pmml, xgboost, lightgbm, h2o-mojo");
    }

    /** The scorer the harness uses for this kind, with the harness's default settings (one thread, all optimizations). */
    static BatchScorer open(String kind, String path) throws Exception {
        return switch (kind) {
            case "onnx" -> new OrtBatchSession(path, 1, 1, "ALL_OPT");
            case "pmml" -> new PmmlBatchEvaluator(path);
            case "xgboost" -> new Xgboost4jScorer(path);
            case "lightgbm" -> new LightgbmScorer(path);
            case "h2o-mojo" -> new H2oMojoScorer(path);
            default -> throw new CannotReplay("unknown scorer kind " + kind);
        };
    }

    // ----------------------------------------------------------------------------------------------------- inputs

    /** Named inputs, as {@link BatchScorer#score} takes them. */
    static final class Batch {
        final String[] names;
        final Object[] data;
        final String[] types;
        final long[][] shapes;

        Batch(List<String> names, List<Object> data, List<String> types, List<long[]> shapes) {
            this.names = names.toArray(new String[0]);
            this.data = data.toArray();
            this.types = types.toArray(new String[0]);
            this.shapes = shapes.toArray(new long[0][]);
        }
    }

    /** ONNX: {@code onnx_inputs}, exactly the tensors the runtime was fed. */
    static Batch onnxBatch(JsonObject entry) throws CannotReplay {
        JsonArray inputs = array(entry, "onnx_inputs");
        if (inputs == null) {
            throw new CannotReplay("an ONNX counterexample needs \"onnx_inputs\" (the tensors the runtime was fed)");
        }
        return tensorBatch(inputs);
    }

    /** {@code [{name, element_type, shape, values (flat, row-major)}]} as named tensors. */
    static Batch tensorBatch(JsonArray inputs) throws CannotReplay {
        List<String> names = new ArrayList<>();
        List<Object> data = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (JsonElement item : inputs) {
            JsonObject input = item.getAsJsonObject();
            String name = string(input, "name");
            String type = string(input, "element_type").toUpperCase(Locale.ROOT);
            long[] shape = longs(array(input, "shape"));
            List<JsonElement> values = new ArrayList<>();
            flattenInto(input.get("values"), values);
            names.add(name);
            types.add(type);
            shapes.add(shape);
            data.add(tensorData(name, type, values));
        }
        return new Batch(names, data, types, shapes);
    }

    /**
     * Anything but ONNX: {@code columns}/{@code rows} as one column per signature column (numbers as DOUBLE, NaN =
     * missing, the way the harness sends them; strings as STRING, null = missing), or {@code tensors}.
     */
    static Batch genericBatch(JsonObject entry) throws CannotReplay {
        JsonArray columns = array(entry, "columns");
        JsonArray rows = array(entry, "rows");
        if (columns != null && rows != null) {
            List<String> names = new ArrayList<>();
            List<Object> data = new ArrayList<>();
            List<String> types = new ArrayList<>();
            List<long[]> shapes = new ArrayList<>();
            for (int c = 0; c < columns.size(); c++) {
                JsonObject column = columns.get(c).getAsJsonObject();
                boolean text = "string".equals(string(column, "type"));
                List<JsonElement> values = new ArrayList<>();
                for (JsonElement row : rows) {
                    values.add(row.getAsJsonArray().get(c));
                }
                names.add(string(column, "name"));
                types.add(text ? "STRING" : "DOUBLE");
                shapes.add(new long[] {rows.size()});
                data.add(tensorData(string(column, "name"), text ? "STRING" : "DOUBLE", values));
            }
            return new Batch(names, data, types, shapes);
        }
        JsonObject tensors = object(entry, "tensors");
        if (tensors != null) {
            JsonArray inputs = new JsonArray();
            for (Map.Entry<String, JsonElement> tensor : tensors.entrySet()) {
                JsonObject spec = tensor.getValue().getAsJsonObject();
                JsonObject input = new JsonObject();
                input.addProperty("name", tensor.getKey());
                input.addProperty("element_type", onnxType(string(spec, "dtype")));
                input.add("shape", spec.get("shape"));
                input.add("values", spec.get("values"));
                inputs.add(input);
            }
            return tensorBatch(inputs);
        }
        throw new CannotReplay("the corpus file has neither \"columns\"/\"rows\" nor \"tensors\"");
    }

    /** A numpy dtype name as an ONNX element type. */
    static String onnxType(String dtype) throws CannotReplay {
        return switch (dtype) {
            case "float32" -> "FLOAT";
            case "float64" -> "DOUBLE";
            case "float16" -> "FLOAT16";
            case "bfloat16" -> "BFLOAT16";
            case "bool" -> "BOOL";
            case "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64" ->
                    dtype.toUpperCase(Locale.ROOT);
            case "object", "str" -> "STRING";
            default -> throw new CannotReplay("tensor dtype " + dtype + " has no ONNX element type");
        };
    }

    /** The values of one input in the form {@link BatchScorer#score} takes: a direct buffer, or String[]. */
    static Object tensorData(String name, String type, List<JsonElement> values) throws CannotReplay {
        int n = values.size();
        if (type.equals("STRING")) {
            String[] strings = new String[n];
            for (int i = 0; i < n; i++) {
                JsonElement v = values.get(i);
                strings[i] = v == null || v.isJsonNull() ? null : v.getAsString();
            }
            return strings;
        }
        int width = switch (type) {
            case "DOUBLE", "INT64", "UINT64" -> 8;
            case "FLOAT", "INT32", "UINT32" -> 4;
            case "FLOAT16", "BFLOAT16", "INT16", "UINT16" -> 2;
            case "INT8", "UINT8", "BOOL" -> 1;
            default -> throw new CannotReplay("input '" + name + "' has element type " + type
                    + ", which the replayer cannot build");
        };
        ByteBuffer buffer = BatchOutputs.allocate(n * width);
        for (int i = 0; i < n; i++) {
            JsonElement v = values.get(i);
            switch (type) {
                case "DOUBLE" -> buffer.putDouble(number(v));
                case "FLOAT" -> buffer.putFloat((float) number(v));
                case "FLOAT16" -> buffer.putShort(Inputs.floatToHalf((float) number(v)));
                case "BFLOAT16" -> buffer.putShort(Inputs.floatToBfloat16((float) number(v)));
                case "INT64", "UINT64" -> buffer.putLong(integer(v).longValue());  // uint64: the same 64 bits
                case "INT32", "UINT32" -> buffer.putInt(integer(v).intValue());
                case "INT16", "UINT16" -> buffer.putShort(integer(v).shortValue());
                case "INT8", "UINT8" -> buffer.put(integer(v).byteValue());
                case "BOOL" -> buffer.put((byte) (truth(v) ? 1 : 0));
                default -> throw new IllegalStateException(type);
            }
        }
        buffer.flip();
        return buffer;
    }

    /** An integer value exactly: from its JSON text through BigDecimal, never through a double. */
    static BigInteger integer(JsonElement value) throws CannotReplay {
        if (value == null || value.isJsonNull()) {
            throw new CannotReplay("a missing value (null) in an integer tensor");
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        if (primitive.isBoolean()) {
            return primitive.getAsBoolean() ? BigInteger.ONE : BigInteger.ZERO;
        }
        try {
            return new BigDecimal(primitive.getAsString()).toBigIntegerExact();
        } catch (ArithmeticException | NumberFormatException error) {
            throw new CannotReplay("'" + primitive.getAsString() + "' is not an integer");
        }
    }

    static boolean truth(JsonElement value) throws CannotReplay {
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        return primitive.isBoolean() ? primitive.getAsBoolean() : integer(value).signum() != 0;
    }

    /** A float value: null = NaN (missing), "nan"/"inf"/"-inf", true/false as 1/0. */
    static double number(JsonElement value) {
        if (value == null || value.isJsonNull()) {
            return Double.NaN;
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        if (primitive.isBoolean()) {
            return primitive.getAsBoolean() ? 1 : 0;
        }
        String text = primitive.getAsString();
        return switch (text) {
            case "nan", "NaN" -> Double.NaN;
            case "inf", "Infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
        };
    }

    // ---------------------------------------------------------------------------------------------------- outputs

    /**
     * One output's values: numbers, or strings (labels). {@code exact} holds integers exactly (int64 outputs, JSON
     * integers), so 2**53 + 1 against 2**53 differs by 1 rather than by a double's rounding.
     */
    record Values(double[] numbers, String[] strings, BigDecimal[] exact) {
        int size() {
            return numbers != null ? numbers.length : strings.length;
        }
    }

    static Values values(BatchOutputs outputs, int index) {
        Object data = outputs.data.get(index);
        if (data instanceof String[] strings) {
            return new Values(null, strings, null);
        }
        double[] numbers = outputs.doubles(index);
        String type = outputs.elementTypes.get(index);
        BigDecimal[] exact = null;
        if (type.equals("INT64") || type.equals("UINT64")) {
            java.nio.LongBuffer longs = ((ByteBuffer) data).duplicate().order(java.nio.ByteOrder.nativeOrder())
                    .asLongBuffer();
            exact = new BigDecimal[numbers.length];
            for (int i = 0; i < exact.length; i++) {
                long v = longs.get(i);
                exact[i] = type.equals("INT64") ? BigDecimal.valueOf(v) : new BigDecimal(Long.toUnsignedString(v));
            }
        }
        return new Values(numbers, null, exact);
    }

    /** A recorded output (nested lists): numbers if every element is a number, else strings. */
    static Values values(JsonElement recorded) {
        List<JsonElement> flat = new ArrayList<>();
        flattenInto(recorded, flat);
        double[] numbers = new double[flat.size()];
        BigDecimal[] exact = new BigDecimal[flat.size()];
        boolean integers = true;
        for (int i = 0; i < numbers.length; i++) {
            JsonElement v = flat.get(i);
            try {
                numbers[i] = number(v);
            } catch (RuntimeException notANumber) {
                String[] strings = new String[flat.size()];
                for (int j = 0; j < strings.length; j++) {
                    JsonElement s = flat.get(j);
                    strings[j] = s == null || s.isJsonNull() ? null : s.getAsString();
                }
                return new Values(null, strings, null);
            }
            if (v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                    && v.getAsString().matches("-?[0-9]+")) {
                exact[i] = new BigDecimal(v.getAsString());
            } else {
                integers = false;
            }
        }
        return new Values(numbers, null, integers ? exact : null);
    }

    /**
     * Matches each reference output with a Java output (the same name; else the unused one of the same size
     * closest to what the cell returned in the harness, {@code actual}) and compares them by the harness's rule:
     * an element diverges when {@code abs > atol} and {@code abs / |reference| > rtol}; NaN equals NaN.
     */
    static int compareOutputs(JsonObject entry, BatchOutputs outputs, PrintStream out) throws CannotReplay {
        JsonObject expected = object(entry, "expected");
        if (expected == null || expected.size() == 0) {
            throw new CannotReplay("the corpus file has no \"expected\" outputs (the reference's)");
        }
        JsonObject actual = object(entry, "actual");
        JsonObject tolerance = object(entry, "tolerance");
        double atol = tolerance == null ? 1e-5 : number(tolerance.get("atol"));
        double rtol = tolerance == null ? 1e-5 : number(tolerance.get("rtol"));
        List<Integer> unused = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            unused.add(i);
        }
        double worst = 0;
        boolean diverged = false;
        for (Map.Entry<String, JsonElement> reference : expected.entrySet()) {
            String name = reference.getKey();
            Values want = values(reference.getValue());
            Values seen = actual != null && actual.has(name) ? values(actual.get(name)) : want;
            Integer match = match(name, want, seen, outputs, unused);
            out.println("  reference " + name + ": " + render(want));
            if (match == null) {
                out.println("  java      " + name + ": no output of " + want.size() + " values");
                diverged = true;
                continue;
            }
            unused.remove(match);
            Values got = values(outputs, match);
            out.println("  java      " + name + " (" + outputs.names.get(match) + ", "
                    + outputs.elementTypes.get(match) + "): " + render(got));
            if (want.numbers() != null && got.numbers() != null && !"label".equals(name)) {
                boolean exact = want.exact() != null && got.exact() != null;
                for (int i = 0; i < want.size(); i++) {
                    double abs = exact ? want.exact()[i].subtract(got.exact()[i]).abs().doubleValue()
                            : absDiff(got.numbers()[i], want.numbers()[i]);
                    worst = Math.max(worst, abs);
                    double rel = abs == 0 ? 0 : abs / Math.max(Math.abs(finite(want.numbers()[i])), TINY);
                    if (abs > atol && rel > rtol) {
                        diverged = true;
                    }
                }
            } else {
                String[] a = labels(want);
                String[] b = labels(got);
                for (int i = 0; i < a.length; i++) {
                    if (!java.util.Objects.equals(a[i], b[i])) {
                        diverged = true;
                    }
                }
            }
        }
        out.println((diverged ? "REPRODUCED" : "NOT REPRODUCED") + ": max_abs=" + worst);
        return diverged ? REPRODUCED : NOT_REPRODUCED;
    }

    private static Integer match(String name, Values want, Values seen, BatchOutputs outputs, List<Integer> unused) {
        for (Integer i : unused) {
            if (outputs.names.get(i).equals(name) && values(outputs, i).size() == want.size()) {
                return i;
            }
        }
        Integer best = null;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (Integer i : unused) {
            Values candidate = values(outputs, i);
            if (candidate.size() != want.size()) {
                continue;
            }
            double distance = distance(candidate, seen);
            if (best == null || distance < bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** How far apart two outputs are: summed absolute differences, or the count of differing labels. */
    private static double distance(Values a, Values b) {
        if (a.numbers() != null && b.numbers() != null) {
            double sum = 0;
            for (int i = 0; i < a.size(); i++) {
                double d = absDiff(a.numbers()[i], b.numbers()[i]);
                sum += Double.isInfinite(d) ? 1e300 : d;
            }
            return sum;
        }
        String[] x = labels(a);
        String[] y = labels(b);
        double differ = 0.5;  // a numeric/label pairing ranks after an exact label match
        for (int i = 0; i < x.length; i++) {
            differ += java.util.Objects.equals(x[i], y[i]) ? 0 : 1;
        }
        return differ;
    }

    /** |a - b|, 0 for NaN against NaN and for the same infinity, infinity for NaN against a number. */
    static double absDiff(double a, double b) {
        if (Double.isNaN(a) && Double.isNaN(b)) {
            return 0;
        }
        if (Double.isInfinite(a) && a == b) {
            return 0;
        }
        double d = Math.abs(a - b);
        return Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
    }

    private static double finite(double v) {
        return Double.isNaN(v) ? 0 : Double.isInfinite(v) ? Math.copySign(Double.MAX_VALUE, v) : v;
    }

    /** Labels as the harness compares them: integral numbers as integers, so 1, 1.0 and "1" are the same class. */
    static String[] labels(Values values) {
        String[] out = new String[values.size()];
        for (int i = 0; i < out.length; i++) {
            if (values.numbers() != null) {
                double v = values.numbers()[i];
                out[i] = v == Math.rint(v) && !Double.isInfinite(v) ? Long.toString((long) v) : Double.toString(v);
            } else {
                String s = values.strings()[i];
                try {
                    double v = Double.parseDouble(s);
                    out[i] = v == Math.rint(v) && !Double.isInfinite(v) ? Long.toString((long) v) : s;
                } catch (RuntimeException notANumber) {
                    out[i] = s;
                }
            }
        }
        return out;
    }

    static String render(Values values) {
        if (values.exact() != null) {
            return Arrays.toString(values.exact());
        }
        return values.numbers() != null ? Arrays.toString(values.numbers()) : Arrays.toString(values.strings());
    }

    // ----------------------------------------------------------------------------------------------------- errors

    /**
     * The scorer raised on replay. The harness records an error as Python's {@code f"{type}: {error}"}; for a Java
     * exception through JPype that is {@code "java.class.Name: java.class.Name: message"}.
     */
    static int raisedOnReplay(Throwable raised, String recordedError, PrintStream out) {
        out.println("  java raised: " + raised);
        if (recordedError == null) {
            out.println("NOT REPRODUCED: the runtime raised " + raised.getClass().getName()
                    + " on replay, but the harness saw it return outputs (the corpus file has no \"error\")");
            return NOT_REPRODUCED;
        }
        out.println("  recorded error: " + recordedError);
        String[] recorded = parseError(recordedError);
        String recordedClass = recorded[0];
        String recordedMessage = recorded[1];
        if (!recordedClass.contains(".")) {
            out.println("NOT REPRODUCED: the recorded error (" + recordedClass + ") was raised on the Python side, "
                    + "not by the JVM runtime; on replay the runtime raised " + raised.getClass().getName());
            return NOT_REPRODUCED;
        }
        for (Throwable t = raised; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getName().equals(recordedClass) && messageMatches(recordedMessage, t.getMessage())) {
                out.println("REPRODUCED: the runtime raised " + recordedClass + (t == raised ? "" : " (as a cause)")
                        + " with the recorded message");
                return REPRODUCED;
            }
        }
        boolean sameClass = raised.getClass().getName().equals(recordedClass);
        out.println("NOT REPRODUCED: the harness recorded " + recordedClass + ": " + firstLine(recordedMessage)
                + "; on replay the runtime raised " + raised.getClass().getName() + ": "
                + firstLine(String.valueOf(raised.getMessage()))
                + (sameClass ? " (same class, different message)" : " (a different exception class)"));
        return NOT_REPRODUCED;
    }

    /** {class, message} of a recorded error string; the message is "" when there was none. */
    static String[] parseError(String recorded) {
        int colon = recorded.indexOf(": ");
        String type = colon < 0 ? recorded.trim() : recorded.substring(0, colon).trim();
        String rest = colon < 0 ? "" : recorded.substring(colon + 2);
        if (rest.equals(type)) {
            rest = "";
        } else if (rest.startsWith(type + ": ")) {  // JPype: str(error) is the Java toString(), class name first
            rest = rest.substring(type.length() + 2);
        }
        return new String[] {type, rest};
    }

    /** The same first line, compared over the first {@link #MESSAGE_PREFIX} characters. */
    static boolean messageMatches(String recorded, String replayed) {
        String a = firstLine(recorded == null ? "" : recorded);
        String b = firstLine(replayed == null ? "" : replayed);
        if (a.length() > MESSAGE_PREFIX) {
            a = a.substring(0, MESSAGE_PREFIX);
        }
        return b.startsWith(a);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }

    // ------------------------------------------------------------------------------------------------------- json

    private static void flattenInto(JsonElement value, List<JsonElement> flat) {
        if (value != null && value.isJsonArray()) {
            for (JsonElement item : value.getAsJsonArray()) {
                flattenInto(item, flat);
            }
        } else {
            flat.add(value);
        }
    }

    private static long[] longs(JsonArray array) throws CannotReplay {
        long[] out = new long[array == null ? 0 : array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(array.get(i)).longValueExact();
        }
        return out;
    }

    private static String string(JsonObject object, String key) {
        JsonElement value = object.get(key);
        return value == null || value.isJsonNull() ? null : value.getAsString();
    }

    private static JsonObject object(JsonObject object, String key) {
        JsonElement value = object.get(key);
        return value != null && value.isJsonObject() ? value.getAsJsonObject() : null;
    }

    private static JsonArray array(JsonObject object, String key) {
        JsonElement value = object.get(key);
        return value != null && value.isJsonArray() ? value.getAsJsonArray() : null;
    }
}
